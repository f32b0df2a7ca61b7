import Testing
@testable import SiloKit

@Suite struct JSONTests {
    @Test func scalars() {
        #expect(JSON.null.encoded() == "null")
        #expect(JSON.bool(true).encoded() == "true")
        #expect(JSON.bool(false).encoded() == "false")
        #expect(JSON.int(0).encoded() == "0")
        #expect(JSON.int(-42).encoded() == "-42")
        #expect(JSON.int(4026531839).encoded() == "4026531839")
        #expect(JSON.int(Int64.min).encoded() == "-9223372036854775808")
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
        let v = JSON.object([("z", .int(1)), ("a", .null), ("k\"ey", .bool(true))])
        #expect(v.encoded() == #"{"z":1,"a":null,"k\"ey":true}"#)
    }

    @Test func nesting() {
        let v = JSON.object([
            ("list", .array([.int(1), .string("two"), .array([]), .object([])])),
            ("obj", .object([("inner", .array([.null]))])),
        ])
        #expect(v.encoded() == #"{"list":[1,"two",[],{}],"obj":{"inner":[null]}}"#)
    }

    @Test func pretty() {
        let v = JSON.object([("a", .array([.int(1), .int(2)])), ("b", .object([])), ("c", .string("x"))])
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
        #expect(JSON.optional(nil) == .null)
        #expect(JSON.optional("x") == .string("x"))
        #expect(JSON.lines(["a", "b"]).encoded() == #"["a","b"]"#)
        #expect(JSON.lines(nil) == .null)
        #expect(JSON.object([("a", .int(1))]) != JSON.object([("b", .int(1))]))
    }
}
