import FuzzSupport
import SiloSpec

// The JSON parser behind --seccomp (and OCI config.json). Besides not crashing: the bytes and
// the String entry points agree, and what parses re-parses to the same value from a plain
// re-encoding (escapes, surrogate pairs and number text survive).
fuzz { bytes in
    let parsed = try? JSON.parse(bytes)
    if let text = String(validating: bytes, as: UTF8.self) {
        check((try? JSON.parse(text)) == parsed, "parse(String) and parse([UInt8]) disagree")
    }
    guard let value = parsed else { return }
    var out = ""
    encode(value, into: &out)
    check((try? JSON.parse(out)) == value, "re-encoded document parses differently: \(out)")
}

func encode(_ v: JSON, into out: inout String) {
    switch v {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .number(let n): out += n
    case .string(let s): quote(s, into: &out)
    case .array(let a):
        out += "["
        for (i, e) in a.enumerated() {
            if i > 0 { out += "," }
            encode(e, into: &out)
        }
        out += "]"
    case .object(let members):
        out += "{"
        for (i, m) in members.enumerated() {
            if i > 0 { out += "," }
            quote(m.key, into: &out)
            out += ":"
            encode(m.value, into: &out)
        }
        out += "}"
    }
}

func quote(_ s: String, into out: inout String) {
    out += "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where u.value < 0x20:
            let hex = Array("0123456789abcdef")
            out += "\\u00" + String(hex[Int(u.value >> 4)]) + String(hex[Int(u.value & 15)])
        default: out.unicodeScalars.append(u)
        }
    }
    out += "\""
}
