import Foundation
import Testing
@testable import SiloCLI
@testable import SiloDemo
import SiloKit

/// The demo's text, rendered from hand-built sections in both languages.
@Suite struct DemoReportTests {
    static let refusal = "sethostname: Operation not permitted (while the container tried to rename itself in a UTS namespace it does not own)"

    func section(_ l: DemoLanguage) -> DemoSection {
        var s = DemoSection(DemoUTS.about(l), shared: true, lang: l)
        s.row("hostname", l.t("hostname", "主机名"), host: "vm", container: "vm")
        s.row("rename", "hostname renamed-inside", host: nil, container: DemoReportTests.refusal)
        s.row("mounts", "mount table", host: .list((1...30).map { "/m\($0) tmpfs" }, limit: 12), container: .list(["/ overlay"]))
        s.notes.append(l.t("A note that is long enough to be wrapped over more than one line of the report, to see it wrapped.",
                           "一条足够长的说明，长到报告里一行放不下，得折成好几行，看看中文是怎么折行的，标点不能出现在行首。"))
        s.decide(hostNamespace: "uts:[4026531838]", containerNamespace: "uts:[4026531838]", .shared(l.t("the container sees the host's hostname vm", "容器看到的是主机名 vm")))
        s.why = l.t("sethostname needs CAP_SYS_ADMIN in the user namespace that owns the UTS namespace.",
                    "sethostname 要求在拥有该 UTS 命名空间的用户命名空间里具备 CAP_SYS_ADMIN。")
        return s
    }

    func check(_ text: String, width: Int) {
        for line in text.split(separator: "\n") {
            #expect(TextStyle.columns(String(line)) <= width, "\(line)")
        }
    }

    @Test func englishNeverCutsAnErrorAndSaysWhy() {
        let style = TextStyle(color: false, width: 80)
        let text = DemoReport.text(section(.en), style)
        check(text, width: 80)
        // The refusal is wrapped over lines, every word of it kept.
        let joined = text.split(separator: "\n").joined(separator: " ").split(separator: " ").joined(separator: " ")
        #expect(joined.contains(DemoReportTests.refusal.split(separator: " ").joined(separator: " ")))
        #expect(!text.contains("Operation…"))
        #expect(text.contains("=> NOT ISOLATED: the host's own uts namespace"))
        #expect(text.contains("Why: sethostname needs CAP_SYS_ADMIN"))
        #expect(text.contains("host") && text.contains("container"))
        // A long list is shortened in the text, with a count.
        #expect(text.contains("… 18 more (all of them"))
        #expect(text.contains("/m12 tmpfs") && !text.contains("/m13 tmpfs"), "\(text)")
    }

    @Test func chineseKeepsMeasuredValuesAndAlignsWideCharacters() {
        let style = TextStyle(color: false, width: 80)
        let text = DemoReport.text(section(.zh), style)
        check(text, width: 80)
        #expect(text.contains("=> 未隔离：用的是主机自己的 uts 命名空间（uts:[4026531838]）"))
        #expect(text.contains("原因：sethostname 要求"))
        #expect(text.contains("主机") && text.contains("容器"))
        #expect(text.contains("… 另有 18 项"))
        // Measured values are never translated.
        let words = text.split(separator: "\n").joined(separator: " ").split(separator: " ").joined(separator: " ")
        #expect(text.contains("hostname renamed-inside") && words.contains("Operation not permitted"))
        // The host column starts at the same display column in a Chinese and an ASCII row.
        let lines = text.split(separator: "\n").map(String.init)
        let zhRow = try? #require(lines.first { $0.contains("主机名") && $0.contains("vm") })
        let asciiRow = try? #require(lines.first { $0.contains("/m1 tmpfs") })
        if let zhRow, let asciiRow {
            func column(of s: String, in line: String) -> Int? {
                guard let r = line.range(of: s) else { return nil }
                return TextStyle.columns(String(line[..<r.lowerBound]))
            }
            #expect(column(of: "vm", in: zhRow) == column(of: "/m1", in: asciiRow))
        }
        // No line starts with a closing mark.
        for line in lines { #expect(!line.trimmingCharacters(in: .whitespaces).hasPrefix("，"), "\(line)") }
        let summary = DemoReport.summary([section(.zh)], style)
        #expect(summary.contains("总结") && summary.contains("这里没有隔离的：uts"))
    }

    @Test func keptSectionSaysHowToEnterAndRemove() {
        var s = section(.en)
        s.kept = true
        s.containerPID = 4321
        s.launcherPID = 4320
        let text = DemoReport.text(s, TextStyle(color: false, width: 100))
        #expect(text.contains("nsenter --target 4321 --all /bin/sh"))
        #expect(text.contains("kill -KILL 4321"))
        let zh = DemoReport.text({ var z = section(.zh); z.kept = true; z.containerPID = 4321; return z }(), TextStyle(color: false, width: 100))
        #expect(zh.contains("进去看看") && zh.contains("nsenter --target 4321 --all /bin/sh"))
    }

    @Test func stepShowsTheScriptAndTheSyscalls() {
        var s = section(.en)
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/uts")
        script.waitForHost()
        s.script = script.text
        s.syscalls = DemoSyscalls.made(for: RunConfig(argv: ["sh"]), lang: .en)
        let text = DemoReport.text(s, TextStyle(color: false, width: 100), step: true)
        #expect(text.contains("     readlink /proc/self/ns/uts\n"))
        #expect(!text.contains("echo @@"))
        #expect(text.contains("# (waits here while silo measures the host's side)"))
        #expect(text.contains("     clone(CLONE_NEWUSER|"))
        #expect(!DemoReport.text(s, TextStyle(color: false, width: 100)).contains("clone(CLONE_NEWUSER|"))
    }

    @Test func linesWrapByDisplayWidth() {
        #expect(TextStyle.lines("aa bb cc", 5) == ["aa bb", "cc"])
        #expect(TextStyle.lines("abcdefghij", 4) == ["abcd", "efgh", "ij"])
        #expect(TextStyle.columns("主机ab") == 6)
        #expect(TextStyle.lines("一二三四五", 4) == ["一二", "三四", "五"])
        // A closing mark takes the character before it to the next line.
        #expect(TextStyle.lines("一二，三", 4) == ["一", "二，", "三"])
        #expect(TextStyle.lines("ab 主机", 7) == ["ab 主机"])
        #expect(TextStyle.lines("ab 主机", 6) == ["ab 主", "机"])
        #expect(TextStyle.pad("主", 4) == "主  ")
        #expect(TextStyle.fit("主机名字", 5) == "主机…")
    }
}
