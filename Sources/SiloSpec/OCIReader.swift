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

/// A value of a document together with its path, so that every check can name where it failed.
/// `null` reads as absent, as Go's encoding/json (which wrote most configs) treats it.
struct OCINode {
    let value: JSON?
    let path: String
    let file: String

    init(_ value: JSON?, path: String, file: String) {
        self.value = value
        self.path = path
        self.file = file
    }

    /// Parses `text`; a syntax error names the line and column.
    static func document(_ text: [UInt8], file: String) throws(OCIError) -> OCINode {
        do {
            return OCINode(try JSON.parse(text), path: "", file: file)
        } catch {
            throw OCIError(file: file, path: "", reason: "\(error)")
        }
    }

    func fail(_ reason: String) -> OCIError { OCIError(file: file, path: path, reason: reason) }

    var isAbsent: Bool { value == nil || value == .null }

    /// The member `key` (absent when this is not an object: callers check `object()` first).
    subscript(key: String) -> OCINode { OCINode(value?[key], path: OCINode.member(path, key), file: file) }

    /// `path.key`, or `path."key"` when the key is not a plain identifier, as jq spells it
    /// (`.linux.sysctl."net.ipv4.ip_forward"`).
    static func member(_ path: String, _ key: String) -> String {
        var plain = !key.isEmpty
        for (i, c) in key.utf8.enumerated() where !(c == UInt8(ascii: "_") || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z"))
                                                     || (i > 0 && c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))) {
            plain = false
        }
        if plain { return path + "." + key }
        var quoted: [UInt8] = []
        JSON.quote(key, into: &quoted)
        return path + "." + String(decoding: quoted, as: UTF8.self)
    }

    /// "string", or a number's text, for messages.
    var shown: String {
        switch value {
        case .number(let t)?: t
        case .string(let s)?: "\"\(s)\""
        case let v?: v.kind
        case nil: "nothing"
        }
    }

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
        return ms.map { (key: $0.key, node: OCINode($0.value, path: OCINode.member(path, $0.key), file: file)) }
    }

    func array() throws(OCIError) -> [OCINode]? {
        if isAbsent { return nil }
        guard case .array(let items) = value else { throw wrongType("an array") }
        return items.enumerated().map { OCINode($0.element, path: "\(path)[\($0.offset)]", file: file) }
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
        guard let items = try array() else { return nil }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .string(let s)? = item.value else { throw item.wrongType("a string") }
            out.append(s)
        }
        return out
    }

    /// An object whose values are all strings (annotations, sysctl, unified).
    func stringMap() throws(OCIError) -> [String: String]? {
        if isAbsent { return nil }
        var out: [String: String] = [:]
        for (key, node) in try members() {
            guard case .string(let s)? = node.value else { throw node.wrongType("a string") }
            out[key] = s
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
