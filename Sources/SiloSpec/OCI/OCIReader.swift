/// What is wrong with an OCI document and where: `config.json: .linux.namespaces[2].type:
/// unknown namespace "foo"`. `path` is empty for faults of the whole text (JSON syntax).
public struct OCIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The document: "config.json", "state.json", "process.json".
    public var file: String
    /// A jq-style path: ".process.args[0]"; "" for the document itself.
    public var path: String
    public var reason: String

    public init(file: String, path: String, reason: String) {
        self.file = file
        self.path = path
        self.reason = reason
    }

    public var description: String { path.isEmpty ? "\(file): \(reason)" : "\(file): \(path): \(reason)" }
}

/// Where a value sits in its document. Kept as links and spelled out only for a message:
/// building the text for every member read made the walk cost twice the JSON parse.
indirect enum OCIPath {
    case root
    case member(OCIPath, String)
    case element(OCIPath, Int)

    /// jq's spelling: `.mounts[2].options`, `.linux.sysctl."net.ipv4.ip_forward"`.
    var text: String {
        switch self {
        case .root: return ""
        case .member(let parent, let key): return parent.text + "." + OCIPath.quotedIfNeeded(key)
        case .element(let parent, let i): return parent.text + "[" + String(i) + "]"
        }
    }

    /// A key as is when it is a plain identifier, else quoted as a JSON string, as jq does.
    static func quotedIfNeeded(_ key: String) -> String {
        var plain = !key.isEmpty
        for (i, c) in key.utf8.enumerated() where !(c == UInt8(ascii: "_") || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z"))
                                                     || (i > 0 && c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))) {
            plain = false
        }
        if plain { return key }
        var quoted: [UInt8] = []
        JSON.quote(key, into: &quoted)
        return String(decoding: quoted, as: UTF8.self)
    }
}

/// A value of a document together with its path, so that every check can name where it failed.
/// `null` reads as absent, as Go's encoding/json (which wrote most configs) treats it.
struct OCINode {
    let value: JSON?
    let at: OCIPath
    let file: String

    init(_ value: JSON?, at: OCIPath, file: String) {
        self.value = value
        self.at = at
        self.file = file
    }

    var path: String { at.text }

    /// Parses `text`; a syntax error names the line and column.
    static func document(_ text: [UInt8], file: String) throws(OCIError) -> OCINode {
        do {
            return OCINode(try JSON.parse(text), at: .root, file: file)
        } catch {
            throw OCIError(file: file, path: "", reason: "\(error)")
        }
    }

    func fail(_ reason: String) -> OCIError { OCIError(file: file, path: path, reason: reason) }

    var isAbsent: Bool { value == nil || value == .null }

    /// The member `key` (absent when this is not an object: callers check `object()` first).
    subscript(key: String) -> OCINode { OCINode(value?[key], at: .member(at, key), file: file) }

    /// The `i`-th element of this array, `value` being that element.
    func element(_ i: Int, _ value: JSON?) -> OCINode { OCINode(value, at: .element(at, i), file: file) }

    private func wrongType(_ expected: String) -> OCIError {
        fail("expected \(expected), found \(value?.kind ?? "nothing")")
    }

    /// This node when it is an object, nil when absent.
    func object() throws(OCIError) -> OCINode? {
        if isAbsent { return nil }
        guard case .object = value else { throw wrongType("an object") }
        return self
    }

    func requiredObject() throws(OCIError) -> OCINode {
        guard let o = try object() else { throw fail("missing (an object is required)") }
        return o
    }

    /// The members of an object, each with its path.
    func members() throws(OCIError) -> [(key: String, node: OCINode)] {
        guard let o = try object(), case .object(let ms) = o.value else { return [] }
        return ms.map { (key: $0.key, node: OCINode($0.value, at: .member(at, $0.key), file: file)) }
    }

    func array() throws(OCIError) -> [OCINode]? {
        if isAbsent { return nil }
        guard case .array(let items) = value else { throw wrongType("an array") }
        return items.enumerated().map { element($0.offset, $0.element) }
    }

    func string() throws(OCIError) -> String? {
        if isAbsent { return nil }
        guard case .string(let s) = value else { throw wrongType("a string") }
        return s
    }

    /// A string where "" means absent, as Go's omitempty writes and reads it.
    func nonEmptyString() throws(OCIError) -> String? {
        guard let s = try string(), !s.isEmpty else { return nil }
        return s
    }

    func requiredString() throws(OCIError) -> String {
        guard let s = try string() else { throw fail("missing (a string is required)") }
        return s
    }

    func bool() throws(OCIError) -> Bool? {
        if isAbsent { return nil }
        guard case .bool(let b) = value else { throw wrongType("a boolean") }
        return b
    }

    /// An integer in `range`; fractions, exponents and out-of-range values are errors.
    func integer<T: FixedWidthInteger>(_ type: T.Type, in range: ClosedRange<T> = T.min...T.max) throws(OCIError) -> T? {
        if isAbsent { return nil }
        guard case .number(let text) = value else {
            throw fail("expected an integer from \(range.lowerBound) to \(range.upperBound), found \(value?.kind ?? "nothing")")
        }
        guard let n = T(text), range.contains(n) else {
            throw fail("expected an integer from \(range.lowerBound) to \(range.upperBound), found \(text)")
        }
        return n
    }

    func requiredInteger<T: FixedWidthInteger>(_ type: T.Type, in range: ClosedRange<T> = T.min...T.max) throws(OCIError) -> T {
        guard let n = try integer(type, in: range) else { throw fail("missing (an integer is required)") }
        return n
    }

    /// An array of strings; absent reads as nil so that callers can tell "not given" from "[]".
    func strings() throws(OCIError) -> [String]? {
        if isAbsent { return nil }
        guard case .array(let items) = value else { throw wrongType("an array") }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else { throw element(i, item).wrongType("a string") }
            out.append(s)
        }
        return out
    }

    /// An object whose values are all strings (annotations, sysctl, unified).
    func stringMap() throws(OCIError) -> [String: String]? {
        if isAbsent { return nil }
        guard case .object(let ms) = value else { throw wrongType("an object") }
        var out: [String: String] = [:]
        for m in ms {
            guard case .string(let s) = m.value else { throw OCINode(m.value, at: .member(at, m.key), file: file).wrongType("a string") }
            out[m.key] = s
        }
        return out
    }

    /// An absolute path ("/..."), as the spec requires of most paths in config.json.
    func absolutePath() throws(OCIError) -> String? {
        guard let s = try string() else { return nil }
        guard s.hasPrefix("/") else { throw fail("must be an absolute path, found \"\(s)\"") }
        return s
    }

    /// One of `allowed`; `what` names the kind of value for the message ("namespace").
    func oneOf(_ allowed: [String], _ what: String) throws(OCIError) -> String? {
        guard let s = try nonEmptyString() else { return nil }
        guard allowed.contains(s) else { throw fail("unknown \(what) \"\(s)\"") }
        return s
    }
}
