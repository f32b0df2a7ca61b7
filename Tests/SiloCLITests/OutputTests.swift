import Testing
@testable import SiloCLI

@Suite struct OutputTests {
    @Test func textStyleFitsAndWraps() {
        #expect(TextStyle.fit("abcdef", 4) == "abc…")
        #expect(TextStyle.wrap("aa bb cc", 5, indent: "> ") == "> aa bb\n> cc\n")
    }
}
