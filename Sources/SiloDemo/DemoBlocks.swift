#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// What a demo script printed, by block.
struct DemoBlocks {
    private(set) var blocks: [String: [String]] = [:]

    init(parsing text: String) {
        var current = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.hasPrefix("@@") {
                current = String(line.dropFirst(2))
                if blocks[current] == nil { blocks[current] = [] }
            } else if !current.isEmpty {
                blocks[current, default: []].append(line)
            }
        }
        for (k, v) in blocks {
            var lines = v
            while lines.last?.isEmpty == true { lines.removeLast() }
            blocks[k] = lines
        }
    }

    subscript(_ name: String) -> [String]? { blocks[name] }

    /// The block's first line, or nil when the block is missing or empty.
    func first(_ name: String) -> String? { blocks[name]?.first }
}
