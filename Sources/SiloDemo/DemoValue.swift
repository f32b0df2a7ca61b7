import SiloSpec

/// One cell of a section's table: the lines shown, and the same measurement for `--json`
/// (numbers as numbers, lists as whole lists). `limit` cuts what is shown, never the JSON.
public struct DemoValue: Sendable {
    public var lines: [String]
    public var json: JSON
    /// At most this many lines are printed (the rest is counted); nil prints them all.
    public var limit: Int?

    public init(lines: [String], json: JSON, limit: Int? = nil) {
        self.lines = lines
        self.json = json
        self.limit = limit
    }

    static func text(_ s: String) -> DemoValue { DemoValue(lines: [s], json: .string(s)) }

    static func list(_ l: [String], limit: Int? = nil) -> DemoValue { DemoValue(lines: l, json: .strings(l), limit: limit) }

    static func number<T: BinaryInteger>(_ n: T, shown: String? = nil) -> DemoValue {
        DemoValue(lines: [shown ?? String(n)], json: .integer(n))
    }

    static func numbers<T: BinaryInteger>(_ n: [T], shown: [String]? = nil, limit: Int? = nil) -> DemoValue {
        DemoValue(lines: shown ?? n.map { String($0) }, json: .array(n.map { .integer($0) }), limit: limit)
    }
}
