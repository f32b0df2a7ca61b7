/// The writing side of `JSON`: state.json, `silo state`, `features` and `spec` output, and the
/// state that hooks read on stdin. Numbers are written as the text they hold, so an integer
/// never turns into a float and a 64-bit value survives exactly.
extension JSON {
    /// An integer as a JSON number.
    public static func integer<T: BinaryInteger>(_ n: T) -> JSON { .number(String(n)) }

    /// An array of strings.
    public static func strings(_ items: [String]) -> JSON { .array(items.map { .string($0) }) }

    /// A string, or null when absent.
    public static func optional(_ s: String?) -> JSON { s.map { .string($0) } ?? .null }

    /// Lines of text as an array of strings, or null when absent.
    public static func lines(_ l: [String]?) -> JSON { l.map { .strings($0) } ?? .null }

    /// An object from (key, value) pairs, in the order given: `--json` output reads like the
    /// text report.
    public static func fields(_ pairs: [(String, JSON)]) -> JSON { .object(pairs.map { Member($0.0, $0.1) }) }

    /// An object from string pairs, keys sorted as Go's encoding/json writes a map, so that
    /// output does not depend on dictionary order.
    public static func stringMap(_ map: [String: String]) -> JSON {
        .object(map.keys.sorted().map { Member($0, .string(map[$0]!)) })
    }

    /// The text: compact (no whitespace at all) by default; with `indent`, one member or item a
    /// line, nested levels indented by that string (runc writes `spec` with a tab, `state`
    /// with two spaces). No trailing newline either way.
    public func encoded(indent: String? = nil) -> String {
        var out: [UInt8] = []
        write(into: &out, indent: indent.map { Array($0.utf8) }, depth: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// The UTF-8 bytes of `encoded(indent:)`.
    public func encodedBytes(indent: String? = nil) -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out, indent: indent.map { Array($0.utf8) }, depth: 0)
        return out
    }

    private func write(into out: inout [UInt8], indent: [UInt8]?, depth: Int) {
        switch self {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .number(let text): out += text.utf8
        case .string(let s): JSON.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]".utf8; return }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.newline(&out, indent, depth + 1)
                item.write(into: &out, indent: indent, depth: depth + 1)
            }
            JSON.newline(&out, indent, depth)
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty { out += "{}".utf8; return }
            out.append(UInt8(ascii: "{"))
            for (i, m) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.newline(&out, indent, depth + 1)
                JSON.quote(m.key, into: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                m.value.write(into: &out, indent: indent, depth: depth + 1)
            }
            JSON.newline(&out, indent, depth)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ out: inout [UInt8], _ indent: [UInt8]?, _ depth: Int) {
        guard let indent else { return }
        out.append(0x0A)
        for _ in 0..<depth { out += indent }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// RFC 8259 escaping: quote, backslash and the C0 controls (and DEL, which some terminals
    /// act on); every other scalar, ASCII or not, is written as its UTF-8 bytes.
    static func quote(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): out += #"\""#.utf8
            case UInt8(ascii: "\\"): out += #"\\"#.utf8
            case 0x0A: out += #"\n"#.utf8
            case 0x0D: out += #"\r"#.utf8
            case 0x09: out += #"\t"#.utf8
            case 0x08: out += #"\b"#.utf8
            case 0x0C: out += #"\f"#.utf8
            case 0..<0x20, 0x7F:
                out += #"\u00"#.utf8
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 0xF)])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
