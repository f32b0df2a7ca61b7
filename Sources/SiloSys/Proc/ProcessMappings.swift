#if canImport(Glibc)
import Glibc
#endif

/// The calling process's own memory mappings (/proc/self/smaps), for a long-lived process that
/// wants to give back the pages of code it ran once.
public enum ProcessMappings {
    /// Unmaps the resident pages of every read-only file mapping that holds no private page
    /// (the executable's text and read-only data): MADV_DONTNEED on such a mapping only drops
    /// page-table entries, and a page touched again is mapped back from the page cache. A
    /// mapping with a private (anonymous) page, such as relocated read-only data, is left
    /// alone: DONTNEED would throw its changes away. Returns the bytes of mappings advised.
    @discardableResult
    public static func dropCleanFilePages() -> Int {
        guard let text = try? FileIO.read("/proc/self/smaps", limit: 8 << 20) else { return 0 }
        var dropped = 0
        var candidate: (start: UInt, length: Int)?
        for line in text.split(separator: "\n") {
            // A mapping's header starts with its range; its fields start with "Name:".
            if !line.prefix(while: { $0 != " " }).hasSuffix(":") {
                candidate = nil
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                guard f.count >= 6, f[1].hasPrefix("r"), !f[1].contains("w"), f[4] != "0", f[5].hasPrefix("/") else { continue }
                let range = f[0].split(separator: "-")
                guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16) else { continue }
                candidate = (start, Int(end - start))
            } else if line.hasPrefix("Anonymous:"), let c = candidate {
                candidate = nil
                let kb = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 1
                guard kb == 0, let p = UnsafeMutableRawPointer(bitPattern: c.start) else { continue }
                if madvise(p, c.length, MADV_DONTNEED) == 0 { dropped += c.length }
            }
        }
        return dropped
    }
}
