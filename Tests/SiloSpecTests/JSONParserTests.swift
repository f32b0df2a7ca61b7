import SiloSpec
import Testing

@Suite struct JSONParserTests {
    @Test func values() throws {
        let j = try JSON.parse(#" { "a": [1, -2.5e3, true, false, null], "b": "x\"\\\/\n\u00e9\ud83d\ude00", "c": {} } "#)
        #expect(j["a"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
        #expect(j["b"] == .string("x\"\\/\né😀"))
        #expect(j["c"] == .object([]))
        #expect(j["missing"] == nil)
    }

    @Test func bigNumbersStayExact() throws {
        let j = try JSON.parse("[18446744073709551615, 4294967295, -1, 1.5]")
        guard case .array(let a) = j else { Issue.record("not an array"); return }
        #expect(a[0].uint64 == UInt64.max)
        #expect(a[1].uint64 == 0xffff_ffff)
        #expect(a[2].uint64 == nil)
        #expect(a[2].int64 == -1)
        #expect(a[3].uint64 == nil)
    }

    @Test func sameKeyInDifferentObjectsIsFine() throws {
        let j = try JSON.parse(#"{"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]}"#)
        #expect(j["a"]?["a"] == .number("1"))
    }

    @Test func manyKeysStillFindTheRepeat() {
        let keys = (0..<40).map { "\"k\($0)\": 0" }.joined(separator: ", ")
        do {
            _ = try JSON.parse("{\(keys), \"k39\": 1}")
            Issue.record("parsed a repeated key")
        } catch {
            #expect(error.reason == "duplicate key \"k39\" in the document")
        }
    }

    @Test(arguments: [
        ("", "line 1, column 1: unexpected end of input, expected a value"),
        ("{", "line 1, column 2: unexpected end of input in an object"),
        ("{\"a\" 1}", "line 1, column 6: expected ':' after key \"a\""),
        ("{\"a\": 1,\n \"b\": 2 \"c\"}", "line 2, column 9: expected ',' or '}', found '\"'"),
        ("[1, 2", "line 1, column 6: unexpected end of input in an array"),
        ("[01]", "line 1, column 2: invalid number: leading zero"),
        ("[1.]", "line 1, column 2: invalid number: no digits after '.'"),
        ("tru", "line 1, column 1: invalid literal, expected true"),
        ("\"abc", "line 1, column 1: unterminated string"),
        ("\"a\\qb\"", "line 1, column 3: invalid escape '\\q'"),
        ("\"\\ud800\"", "line 1, column 8: unpaired surrogate in a \\u escape"),
        ("{} x", "line 1, column 4: unexpected 'x' after the document"),
        ("{1: 2}", "line 1, column 2: expected a string key, found '1'"),
        (#"{"defaultAction":"SCMP_ACT_KILL","defaultAction":"SCMP_ACT_ALLOW"}"#,
         #"line 1, column 34: duplicate key "defaultAction" in the document"#),
        (#"{"syscalls": [{"names": []}, {"action": 1, "names": [], "action": 2}]}"#,
         #"line 1, column 57: duplicate key "action" in syscalls[1]"#),
    ])
    func errors(_ text: String, _ message: String) {
        do {
            _ = try JSON.parse(text)
            Issue.record("parsed: \(text)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONError.self) { try JSON.parse(deep) }
    }

    @Test func controlCharactersMustBeEscaped() {
        #expect(throws: JSONError.self) { try JSON.parse("\"a\tb\"") }
    }
}
