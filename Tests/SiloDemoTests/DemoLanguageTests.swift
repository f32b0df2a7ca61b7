import Foundation
import SiloKit
import SiloSys
import SiloSpec
import Testing
@testable import SiloDemo

/// The demo's two languages and its JSON, without a kernel: sections built by hand.
@Suite struct DemoLanguageTests {
    func env(_ vars: [String: String]) -> (String) -> String? { { vars[$0] } }

    @Test func localeFollowsPOSIXPrecedence() {
        #expect(DemoLanguage.fromEnvironment(env([:])) == .en)
        #expect(DemoLanguage.fromEnvironment(env(["LANG": "zh_CN.UTF-8"])) == .zh)
        #expect(DemoLanguage.fromEnvironment(env(["LANG": "zh_TW.UTF-8"])) == .zh)
        #expect(DemoLanguage.fromEnvironment(env(["LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"])) == .zh)
        // LC_ALL overrides both; an empty variable counts as unset.
        #expect(DemoLanguage.fromEnvironment(env(["LC_ALL": "C", "LANG": "zh_CN.UTF-8"])) == .en)
        #expect(DemoLanguage.fromEnvironment(env(["LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"])) == .zh)
        #expect(DemoLanguage.fromEnvironment(env(["LC_ALL": "zh_SG.UTF-8", "LANG": "C"])) == .zh)
    }

    static func hasCJK(_ s: String) -> Bool { s.unicodeScalars.contains { $0.value >= 0x4E00 && $0.value <= 0x9FFF } }

    /// Every section's own words exist in both languages; the flag stays what the kernel calls it.
    @Test(arguments: Demo.sections.map(\.kind))
    func everySectionSpeaksBothLanguages(kind: NamespaceKind) throws {
        let s = try #require(Demo.sections.first { $0.kind == kind })
        let en = s.about(.en), zh = s.about(.zh)
        #expect(en.kind == kind && zh.kind == kind)
        #expect(en.cloneFlag == zh.cloneFlag)
        #expect(!DemoLanguageTests.hasCJK(en.title) && !DemoLanguageTests.hasCJK(en.text))
        #expect(DemoLanguageTests.hasCJK(zh.title) && DemoLanguageTests.hasCJK(zh.text), "\(kind)")
    }

    /// The corrected claims (issue 16), in both languages.
    @Test func correctedClaims() {
        #expect(DemoPID.about(.en).text.contains("sees every process of its namespace"))
        #expect(!DemoPID.about(.en).text.contains("only its own descendants"))
        #expect(DemoPID.about(.zh).text.contains("能看到本命名空间的所有进程"))
        #expect(DemoTime.about(.en).text.contains("clone3() accepts it since Linux 6.3"))
        #expect(DemoTime.about(.en).text.contains("since Linux 6.1 execve moves the process into time_for_children"))
        #expect(!DemoTime.about(.en).text.contains("cannot be asked of clone()"))
        #expect(DemoNet.about(.en).text.contains("sit0"))
        #expect(!DemoNet.about(.en).text.contains("loopback device only"))
        #expect(DemoUser.about(.en).since.hasPrefix("2.6.23") && DemoUser.about(.en).since.contains("3.8"))
        #expect(DemoUser.about(.zh).since.hasPrefix("2.6.23"))
    }

    @Test func verdictWordsAndReasonsInBothLanguages() {
        for l in [DemoLanguage.en, .zh] {
            var s = DemoSection(DemoUTS.about(l), shared: true, lang: l)
            s.decide(hostNamespace: "uts:[1]", containerNamespace: "uts:[1]", .shared("x"))
            #expect(s.verdict == .notIsolated)
            #expect(DemoLanguageTests.hasCJK(s.reason) == (l == .zh), "\(s.reason)")
            #expect(DemoLanguageTests.hasCJK(s.verdict.text(l)) == (l == .zh))
            s.decide(hostNamespace: nil, containerNamespace: "uts:[1]", .shared("x"))
            #expect(DemoLanguageTests.hasCJK(s.reason) == (l == .zh), "\(s.reason)")
        }
        #expect(DemoSection.Verdict.notIsolated.text(.en) == "NOT ISOLATED")
        #expect(DemoSection.Verdict.notIsolated.text(.zh) == "未隔离")
    }

    @Test func syscallsFollowTheSharedKinds() {
        var c = RunConfig(argv: ["sh"])
        let all = DemoSyscalls.made(for: c, lang: .en)
        #expect(all[0].hasPrefix("clone(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET)"))
        #expect(all.contains { $0.hasPrefix("unshare(CLONE_NEWCGROUP)") })
        c.share = [.net, .cgroup]
        let shared = DemoSyscalls.made(for: c, lang: .zh)
        #expect(shared[0].hasPrefix("clone(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC)"))
        #expect(!shared.contains { $0.hasPrefix("unshare(CLONE_NEWCGROUP)") })
        #expect(DemoLanguageTests.hasCJK(shared[0]))
    }

    /// `--json`: numbers are JSON numbers, lists are whole arrays (a display limit cuts only
    /// the text), and the namespace identity carries the inode as a number.
    @Test func jsonHasNumbersAndWholeLists() throws {
        var s = DemoSection(DemoMount.about(.zh), shared: false, lang: .zh)
        let mounts = (1...40).map { "/m\($0) tmpfs" }
        s.row("mount_count", "mounts", host: .number(40), container: .number(7))
        s.row("mounts", "mount table", host: .list(mounts, limit: 12), container: .list([]))
        s.row("nspid", "NSpid", host: .numbers([4296, 1] as [Int64], shown: ["4296 1"]), container: .numbers([1] as [Int64]))
        s.row("hostname", "hostname", host: "vm", container: nil)
        s.hostNamespace = "mnt:[4026531832]"
        s.containerNamespace = "mnt:[4026532317]"
        s.containerPID = 4296
        s.decide(hostNamespace: "mnt:[4026531832]", containerNamespace: "mnt:[4026532317]", .isolated("ok"))
        let text = s.json.encoded(indent: "  ")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(doc["verdict"] as? String == "ISOLATED")
        #expect(doc["verdict_text"] as? String == "已隔离")
        #expect(doc["container_pid"] as? Int == 4296)
        let ns = try #require(doc["namespace"] as? [String: [String: Any]])
        #expect(ns["host"]?["inode"] as? Int == 4026531832)
        #expect(ns["container"]?["link"] as? String == "mnt:[4026532317]")
        let rows = try #require(doc["evidence"] as? [[String: Any]])
        func row(_ k: String) -> [String: Any]? { rows.first { $0["key"] as? String == k } }
        #expect(row("mount_count")?["host"] as? Int == 40)
        #expect(row("mounts")?["host"] as? [String] == mounts)
        #expect(row("mounts")?["container"] as? [String] == [])
        #expect(row("nspid")?["host"] as? [Int] == [4296, 1])
        #expect(row("nspid")?["container"] as? [Int] == [1])
        #expect(row("hostname")?["host"] as? String == "vm")
        #expect(row("hostname")?["container"] is NSNull)
        #expect(doc["notes"] is [Any] && doc["syscalls"] is [Any])
        #expect(!text.contains("more"))
    }
}
