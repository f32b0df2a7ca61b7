import Testing
@testable import SiloSpec

@Suite struct JSONWriterTests {
    @Test func scalars() {
        #expect(JSON.null.encoded() == "null")
        #expect(JSON.bool(true).encoded() == "true")
        #expect(JSON.bool(false).encoded() == "false")
        #expect(JSON.string("").encoded() == #""""#)
        #expect(JSON.array([]).encoded() == "[]")
        #expect(JSON.object([]).encoded(indent: "  ") == "{}")
    }

    /// Integers are written as integers: no ".0", no exponent, full 64-bit range.
    @Test func integersStayIntegers() {
        #expect(JSON.integer(0).encoded() == "0")
        #expect(JSON.integer(Int32(-1000)).encoded() == "-1000")
        #expect(JSON.integer(UInt64.max).encoded() == "18446744073709551615")
        #expect(JSON.integer(Int64.min).encoded() == "-9223372036854775808")
        #expect(JSON.integer(UInt32(4_294_967_295)).encoded() == "4294967295")
        // A parsed number keeps its text.
        #expect(JSON.number("1.5e3").encoded() == "1.5e3")
    }

    @Test func escaping() {
        #expect(JSON.string("a\"b\\c/d").encoded() == #""a\"b\\c/d""#)
        #expect(JSON.string("l1\nl2\tt\r").encoded() == #""l1\nl2\tt\r""#)
        #expect(JSON.string("\u{08}\u{0C}").encoded() == #""\b\f""#)
        #expect(JSON.string("\u{00}\u{01}\u{1B}[31m\u{1F}\u{7F}").encoded() == #""\u0000\u0001\u001b[31m\u001f\u007f""#)
        // Non-ASCII passes through as UTF-8, including astral scalars and U+2028.
        #expect(JSON.string("é 命名空间 🙂 \u{2028}").encoded() == "\"é 命名空间 🙂 \u{2028}\"")
        #expect(JSON.string("é").encodedBytes() == [0x22, 0xC3, 0xA9, 0x22])
        // Keys are escaped the same way.
        #expect(JSON.object([.init("k\"\n", .null)]).encoded() == #"{"k\"\n":null}"#)
    }

    /// Every scalar below 0x80 and a few beyond survive a write and a parse.
    @Test func everyControlCharacterRoundTrips() throws {
        var s = ""
        for v in 0..<0x80 { s.unicodeScalars.append(Unicode.Scalar(UInt8(v))) }
        s += "\u{80}\u{FFFF}\u{10FFFF}"
        let j = JSON.object([.init(s, .array([.string(s)]))])
        #expect(try JSON.parse(j.encoded()) == j)
        #expect(try JSON.parse(j.encoded(indent: "\t")) == j)
    }

    @Test func compactAndIndented() {
        let v = JSON.object([.init("z", .integer(1)), .init("a", .array([.bool(true), .object([])])), .init("e", .array([]))])
        #expect(v.encoded() == #"{"z":1,"a":[true,{}],"e":[]}"#)
        #expect(v.encoded(indent: "  ") == """
        {
          "z": 1,
          "a": [
            true,
            {}
          ],
          "e": []
        }
        """)
        #expect(JSON.array([.integer(1)]).encoded(indent: "\t") == "[\n\t1\n]")
    }

    @Test func stringMapIsSortedByKey() {
        #expect(JSON.stringMap(["b": "2", "a": "1", "c": "3"]).encoded() == #"{"a":"1","b":"2","c":"3"}"#)
    }

    @Test func runcOutputRoundTripsByteForByte() throws {
        // runc indents `spec` with tabs and writes no final newline; the writer does the same,
        // so parsing and writing runc's file gives runc's file.
        let text = Fixtures.runcSpec
        #expect(try JSON.parse(text).encoded(indent: "\t") == text)
    }
}
