#if canImport(Glibc)
import Glibc
#endif

/// The calling process's own memory mappings (/proc/self/smaps, /proc/self/pagemap), for a
/// long-lived process that wants to give back the pages of code it ran once.
public enum ProcessMappings {
    /// Unmaps every resident page of a file mapping that is still the file's page (pagemap bit
    /// 61: file page; a private page a write made is anonymous and stays): the executable's
    /// text, its read-only data and the untouched part of its data. MADV_DONTNEED only drops
    /// the page-table entries of such a page; touched again, it is mapped back from the page
    /// cache, the same bytes. MADV_RANDOM first turns off fault-around for the mapping (which
    /// would map up to 16 neighbours with every page touched again). Everything is found
    /// before the first page goes, so the search does not fault back what was dropped.
    /// Returns the bytes dropped.
    @discardableResult
    public static func dropCleanFilePages() -> Int {
        guard let text = try? FileIO.read("/proc/self/smaps", limit: 8 << 20) else { return 0 }
        var mappings: [(start: UInt, end: UInt)] = []
        for line in text.split(separator: "\n") where !line.prefix(while: { $0 != " " }).hasSuffix(":") {
            // A mapping's header: range perms offset dev inode path (its fields start with "Name:").
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 6, f[4] != "0", f[5].hasPrefix("/") else { continue }
            let range = f[0].split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16) else { continue }
            mappings.append((start, end))
        }
        let pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        guard pagemap >= 0 else { return 0 }
        defer { close(pagemap) }
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        var runs: [(start: UInt, length: Int)] = []
        runs.reserveCapacity(4096)
        var entries = [UInt64](repeating: 0, count: 4096)
        for m in mappings {
            var addr = m.start
            while addr < m.end {
                let count = min(Int((m.end - addr) / page), entries.count)
                let got = entries.withUnsafeMutableBytes { pread(pagemap, $0.baseAddress, count * 8, off_t((addr / page) * 8)) }
                guard got == count * 8 else { break }
                for i in 0..<count where entries[i] >> 63 == 1 && (entries[i] >> 61) & 1 == 1 {
                    let a = addr + UInt(i) * page
                    if let last = runs.last, last.start + UInt(last.length) == a {
                        runs[runs.count - 1].length += Int(page)
                    } else {
                        runs.append((a, Int(page)))
                    }
                }
                addr += UInt(count) * page
            }
        }
        var dropped = 0
        for m in mappings {
            if let p = UnsafeMutableRawPointer(bitPattern: m.start) { _ = madvise(p, Int(m.end - m.start), MADV_RANDOM) }
        }
        for r in runs {
            if let p = UnsafeMutableRawPointer(bitPattern: r.start), madvise(p, r.length, MADV_DONTNEED) == 0 { dropped += r.length }
        }
        return dropped
    }
}
