import Testing
@testable import SiloSpec

@Suite struct JSONValueTests {
    @Test func scalars() {
        #expect(JSONValue.null.encoded() == "null")
        #expect(JSONValue.bool(true).encoded() == "true")
        #expect(JSONValue.bool(false).encoded() == "false")
        #expect(JSONValue.int(0).encoded() == "0")
        #expect(JSONValue.int(-42).encoded() == "-42")
        #expect(JSONValue.int(4026531839).encoded() == "4026531839")
        #expect(JSONValue.int(Int64.min).encoded() == "-9223372036854775808")
        #expect(JSONValue.string("").encoded() == "\"\"")
    }

    @Test func stringEscaping() {
        #expect(JSONValue.string("a\"b\\c").encoded() == #""a\"b\\c""#)
        #expect(JSONValue.string("line\nnext\ttab\r").encoded() == #""line\nnext\ttab\r""#)
        #expect(JSONValue.string("\u{08}\u{0C}").encoded() == #""\b\f""#)
        #expect(JSONValue.string("\u{01}\u{1F}\u{7F}").encoded() == #""\u0001\u001f\u007f""#)
        // Non-ASCII stays as UTF-8, and '/' needs no escape.
        #expect(JSONValue.string("命名空间 /proc é 🙂").encoded() == "\"命名空间 /proc é 🙂\"")
    }

    @Test func objectKeepsKeyOrderAndEscapesKeys() {
        let v = JSONValue.object([("z", .int(1)), ("a", .null), ("k\"ey", .bool(true))])
        #expect(v.encoded() == #"{"z":1,"a":null,"k\"ey":true}"#)
    }

    @Test func nesting() {
        let v = JSONValue.object([
            ("list", .array([.int(1), .string("two"), .array([]), .object([])])),
            ("obj", .object([("inner", .array([.null]))])),
        ])
        #expect(v.encoded() == #"{"list":[1,"two",[],{}],"obj":{"inner":[null]}}"#)
    }

    @Test func pretty() {
        let v = JSONValue.object([("a", .array([.int(1), .int(2)])), ("b", .object([])), ("c", .string("x"))])
        #expect(v.encoded(pretty: true) == """
        {
          "a": [
            1,
            2
          ],
          "b": {},
          "c": "x"
        }
        """)
    }

    @Test func helpers() {
        #expect(JSONValue.optional(nil) == .null)
        #expect(JSONValue.optional("x") == .string("x"))
        #expect(JSONValue.lines(["a", "b"]).encoded() == #"["a","b"]"#)
        #expect(JSONValue.lines(nil) == .null)
        #expect(JSONValue.object([("a", .int(1))]) != JSONValue.object([("b", .int(1))]))
    }
}
