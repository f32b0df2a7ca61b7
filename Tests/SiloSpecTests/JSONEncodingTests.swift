import Testing
@testable import SiloSpec

@Suite struct JSONEncodingTests {
    @Test func scalars() {
        #expect(JSON.null.encoded() == "null")
        #expect(JSON.bool(true).encoded() == "true")
        #expect(JSON.bool(false).encoded() == "false")
        #expect(JSON.integer(0).encoded() == "0")
        #expect(JSON.integer(-42).encoded() == "-42")
        #expect(JSON.integer(4026531839).encoded() == "4026531839")
        #expect(JSON.integer(Int64.min).encoded() == "-9223372036854775808")
        #expect(JSON.string("").encoded() == "\"\"")
    }

    @Test func stringEscaping() {
        #expect(JSON.string("a\"b\\c").encoded() == #""a\"b\\c""#)
        #expect(JSON.string("line\nnext\ttab\r").encoded() == #""line\nnext\ttab\r""#)
        #expect(JSON.string("\u{08}\u{0C}").encoded() == #""\b\f""#)
        #expect(JSON.string("\u{01}\u{1F}\u{7F}").encoded() == #""\u0001\u001f\u007f""#)
        // Non-ASCII stays as UTF-8, and '/' needs no escape.
        #expect(JSON.string("命名空间 /proc é 🙂").encoded() == "\"命名空间 /proc é 🙂\"")
    }

    @Test func objectKeepsKeyOrderAndEscapesKeys() {
        let v = JSON.fields([("z", .integer(1)), ("a", .null), ("k\"ey", .bool(true))])
        #expect(v.encoded() == #"{"z":1,"a":null,"k\"ey":true}"#)
    }

    @Test func nesting() {
        let v = JSON.fields([
            ("list", .array([.integer(1), .string("two"), .array([]), .object([])])),
            ("obj", .fields([("inner", .array([.null]))])),
        ])
        #expect(v.encoded() == #"{"list":[1,"two",[],{}],"obj":{"inner":[null]}}"#)
    }

    @Test func pretty() {
        let v = JSON.fields([("a", .array([.integer(1), .integer(2)])), ("b", .object([])), ("c", .string("x"))])
        #expect(v.encoded(indent: "  ") == """
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
        #expect(JSON.optional(nil) == .null)
        #expect(JSON.optional("x") == .string("x"))
        #expect(JSON.lines(["a", "b"]).encoded() == #"["a","b"]"#)
        #expect(JSON.lines(nil) == .null)
        #expect(JSON.fields([("a", .integer(1))]) != JSON.fields([("b", .integer(1))]))
    }
}
