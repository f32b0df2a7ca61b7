/// A JSON document (RFC 8259), parsed without Foundation so that `silo run --seccomp FILE` stays
/// off the Foundation load path. Numbers keep their text, so 64-bit values such as seccomp
/// masks survive exactly; object members keep their order. A key that repeats in one object is
/// an error: Go's encoding/json lets the last one win, so `{"defaultAction": "SCMP_ACT_KILL",
/// "defaultAction": "SCMP_ACT_ALLOW"}` would read as a strict profile and load as an open one.
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number as written, already checked against the JSON grammar.
    case number(String)
    case string(String)
    case array([JSON])
    case object([Member])

    public struct Member: Equatable, Sendable {
        public var key: String
        public var value: JSON
        public init(_ key: String, _ value: JSON) {
            self.key = key
            self.value = value
        }
    }

    /// The value of `key` in an object (keys are unique: the parser refuses repeats), nil otherwise.
    public subscript(key: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The name of the kind, for messages: "object", "array", "string", "number", "boolean", "null".
    public var kind: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// An integer number that fits in UInt64 (no fraction, no exponent, no sign).
    public var uint64: UInt64? {
        guard case .number(let text) = self else { return nil }
        return UInt64(text)
    }

    /// An integer number that fits in Int64.
    public var int64: Int64? {
        guard case .number(let text) = self else { return nil }
        return Int64(text)
    }
}
