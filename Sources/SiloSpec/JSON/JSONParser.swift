extension JSON {
    public static func parse(_ text: String) throws(JSONError) -> JSON {
        var p = JSONParser(Array(text.utf8))
        return try p.document()
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSON {
        var p = JSONParser(bytes)
        return try p.document()
    }
}

struct JSONParser {
    let b: [UInt8]
    var i = 0
    /// The keys and indices leading to the value being parsed, for the duplicate-key message.
    var path: [PathComponent] = []
    /// Deep enough for any real profile, shallow enough that recursion cannot exhaust the stack.
    static let maxDepth = 256

    init(_ bytes: [UInt8]) {
        b = bytes
        // A UTF-8 byte order mark is tolerated, as Go and most editors do.
        if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }
    }

    mutating func document() throws(JSONError) -> JSON {
        skipSpace()
        let v = try value(depth: 0)
        skipSpace()
        if i < b.count { throw fail("unexpected \(describe(b[i])) after the document") }
        return v
    }

    func fail(_ reason: String, at offset: Int? = nil) -> JSONError {
        let end = min(offset ?? i, b.count)
        var line = 1, column = 1
        var k = 0
        while k < end {
            if b[k] == 0x0A {
                line += 1
                column = 1
            } else if b[k] & 0xC0 != 0x80 {
                column += 1
            }
            k += 1
        }
        return JSONError(line: line, column: column, reason: reason)
    }

    func describe(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
    }

    mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    mutating func value(depth: Int) throws(JSONError) -> JSON {
        guard i < b.count else { throw fail("unexpected end of input, expected a value") }
        if depth > JSONParser.maxDepth { throw fail("nested deeper than \(JSONParser.maxDepth) levels") }
        switch b[i] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected \(describe(b[i])), expected a value")
        }
    }

    mutating func literal(_ word: String) throws(JSONError) {
        let start = i
        let w = Array(word.utf8)
        guard i + w.count <= b.count, b[i..<(i + w.count)].elementsEqual(w) else {
            throw fail("invalid literal, expected \(word)", at: start)
        }
        i += w.count
    }

    mutating func object(depth: Int) throws(JSONError) -> JSON {
        i += 1
        var members: [JSON.Member] = []
        var seen: Set<String> = []
        skipSpace()
        if i < b.count && b[i] == UInt8(ascii: "}") {
            i += 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else {
                throw fail(i < b.count ? "expected a string key, found \(describe(b[i]))" : "unexpected end of input in an object")
            }
            let keyStart = i
            let key = try string()
            // A linear scan for the few keys objects usually have; a set past that, so that an
            // object of many keys cannot make parsing quadratic.
            let repeated: Bool
            if members.count < 16 {
                repeated = members.contains { $0.key == key }
            } else {
                if seen.isEmpty { seen = Set(members.map(\.key)) }
                repeated = !seen.insert(key).inserted
            }
            if repeated {
                throw fail("duplicate key \"\(key)\" in \(render(path))", at: keyStart)
            }
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':' after key \"\(key)\"") }
            i += 1
            skipSpace()
            path.append(.key(key))
            members.append(JSON.Member(key, try value(depth: depth + 1)))
            path.removeLast()
            skipSpace()
            guard i < b.count else { throw fail("unexpected end of input in an object") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            throw fail("expected ',' or '}', found \(describe(b[i]))")
        }
    }

    enum PathComponent {
        case key(String)
        case index(Int)
    }

    /// `the document`, or the path in JavaScript notation: `syscalls[2].names`.
    func render(_ path: [PathComponent]) -> String {
        if path.isEmpty { return "the document" }
        var s = ""
        for c in path {
            switch c {
            case .key(let k): s += s.isEmpty ? k : "." + k
            case .index(let n): s += "[\(n)]"
            }
        }
        return s
    }

    mutating func array(depth: Int) throws(JSONError) -> JSON {
        i += 1
        var items: [JSON] = []
        skipSpace()
        if i < b.count && b[i] == UInt8(ascii: "]") {
            i += 1
            return .array(items)
        }
        while true {
            skipSpace()
            path.append(.index(items.count))
            items.append(try value(depth: depth + 1))
            path.removeLast()
            skipSpace()
            guard i < b.count else { throw fail("unexpected end of input in an array") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw fail("expected ',' or ']', found \(describe(b[i]))")
        }
    }

    mutating func number() throws(JSONError) -> String {
        let start = i
        func digits() -> Int {
            let s = i
            while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
            return i - s
        }
        if b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") else { throw fail("invalid number", at: start) }
        if b[i] == UInt8(ascii: "0") {
            i += 1
            if i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { throw fail("invalid number: leading zero", at: start) }
        } else {
            _ = digits()
        }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            if digits() == 0 { throw fail("invalid number: no digits after '.'", at: start) }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            if digits() == 0 { throw fail("invalid number: no digits in the exponent", at: start) }
        }
        return String(decoding: b[start..<i], as: UTF8.self)
    }

    mutating func hex4() throws(JSONError) -> UInt32 {
        guard i + 4 <= b.count else { throw fail("unexpected end of input in a \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    mutating func string() throws(JSONError) -> String {
        let start = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < b.count else { throw fail("unterminated string", at: start) }
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                break
            }
            if c < 0x20 { throw fail("control character in a string (escape it)") }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < b.count else { throw fail("unterminated string", at: start) }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate must be followed by an escaped low one.
                    guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate in a \\u escape")
                    }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw fail("unpaired surrogate in a \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw fail("unpaired surrogate in a \\u escape")
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))'", at: i - 2)
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8", at: start) }
        return s
    }
}
