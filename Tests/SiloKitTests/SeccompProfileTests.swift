import SiloSys
import Testing

@testable import SiloKit

@Suite struct SeccompProfileTests {
    static let context = SeccompProfile.Context(capabilities: Set(Capabilities.dockerDefault), goArchitecture: "amd64", kernel: (6, 18))
    /// libseccomp 2.5.4 as far as these tests are concerned: it knows everything but these.
    static let tooNew: Set<String> = ["statmount", "listmount", "mseal", "lsm_get_self_attr", "riscv_hwprobe"]

    static func parse(_ json: String, file: String = "x.json") throws(RuntimeError) -> SeccompProfile {
        try SeccompProfile.parse(json: json, source: file, context: context,
                                 isKnown: { !tooNew.contains($0) && (LinuxSyscallNames.all.contains($0) || ["chown32", "set_tls"].contains($0)) },
                                 knowsArchitecture: { ["x86_64", "x86", "x32", "aarch64", "arm"].contains($0) })
    }

    static func message(_ json: String) -> String? {
        do { _ = try parse(json); return nil } catch { return error.message }
    }

    @Test func minimalProfile() throws {
        let p = try Self.parse(#"""
        {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
         "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"],
         "syscalls": [
           {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
           {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122},
           {"names": ["chown32"], "action": "SCMP_ACT_KILL_PROCESS", "comment": "not on x86_64"},
           {"name": "personality", "action": "SCMP_ACT_ALLOW",
            "args": [{"index": 0, "value": 18446744073709551615, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]}
         ]}
        """#)
        #expect(p.defaultAction == .errno(38))
        #expect(p.architectures == ["x86_64", "x32"])
        #expect(p.rules == [
            SeccompRule("read", .allow), SeccompRule("write", .allow), SeccompRule("mkdir", .errno(122)),
            SeccompRule("chown32", .killProcess),
            SeccompRule("personality", .allow, [SeccompCondition(index: 0, op: .maskedEqual, value: .max, valueTwo: 8)]),
        ])
        #expect(p.skipped.isEmpty)
    }

    @Test func actionsAndDefaults() throws {
        #expect(try Self.parse(#"{"defaultAction":"SCMP_ACT_ERRNO"}"#).defaultAction == .errno(1))
        #expect(try Self.parse(#"{"defaultAction":"SCMP_ACT_KILL"}"#).defaultAction == .killThread)
        #expect(try Self.parse(#"{"defaultAction":"SCMP_ACT_TRACE","defaultErrnoRet":7}"#).defaultAction == .trace(7))
        #expect(try Self.parse(#"{"defaultAction":"SCMP_ACT_LOG","syscalls":null}"#).rules.isEmpty)
    }

    @Test(arguments: [
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},{"names":["mkdir"],"action":"SCMP_ACT_FOO"}]}"#,
         #"seccomp profile x.json: syscalls[1].action: unknown action "SCMP_ACT_FOO""#),
        (#"{"defaultAction":"SCMP_ACT_FOO"}"#, #"seccomp profile x.json: defaultAction: unknown action "SCMP_ACT_FOO""#),
        (#"{"syscalls":[]}"#, "seccomp profile x.json: defaultAction: missing"),
        (#"{"defaultAction":1}"#, "seccomp profile x.json: defaultAction: expected a string, found number"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":1}"#,
         "seccomp profile x.json: defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not SCMP_ACT_ALLOW"),
        (#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":-1}"#,
         "seccomp profile x.json: defaultErrnoRet: expected a whole number from 0 to 4095, found -1"),
        (#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":4096}"#,
         "seccomp profile x.json: defaultErrnoRet: errno 4096 is out of range (0 to 4095)"),
        (#"{"defaultAction":"SCMP_ACT_NOTIFY"}"#,
         "seccomp profile x.json: defaultAction: SCMP_ACT_NOTIFY needs a seccomp agent, which silo does not have"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","x86"]}"#,
         #"seccomp profile x.json: architectures[1]: unknown architecture "x86""#),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":"SCMP_ARCH_X86_64"}"#,
         "seccomp profile x.json: architectures: expected an array of strings, found string"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_LOG"]}"#,
         #"seccomp profile x.json: flags[0]: flag "SECCOMP_FILTER_FLAG_LOG" is not supported by silo"#),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/agent.sock"}"#,
         "seccomp profile x.json: listenerPath: a seccomp agent (SCMP_ACT_NOTIFY) is not supported by silo"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","defaultaction":"SCMP_ACT_ERRNO"}"#, "seccomp profile x.json: defaultaction: unknown field"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":{}}"#, "seccomp profile x.json: syscalls: expected an array, found object"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[[]]}"#, "seccomp profile x.json: syscalls[0]: expected an object, found array"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"action":"SCMP_ACT_ERRNO"}]}"#, "seccomp profile x.json: syscalls[0].names: no syscall names"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"]}]}"#, "seccomp profile x.json: syscalls[0].action: missing"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoret":13}]}"#,
         "seccomp profile x.json: syscalls[0].errnoret: unknown field"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir",7],"action":"SCMP_ACT_ERRNO"}]}"#,
         "seccomp profile x.json: syscalls[0].names[1]: expected a string, found number"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdri"],"action":"SCMP_ACT_ERRNO"}]}"#,
         #"seccomp profile x.json: syscalls[0].names[1]: "mkdri" is not a Linux syscall"#),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":[""],"action":"SCMP_ACT_ERRNO"}]}"#,
         "seccomp profile x.json: syscalls[0].names[0]: empty syscall name"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ALLOW","errnoRet":1}]}"#,
         "seccomp profile x.json: syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not SCMP_ACT_ALLOW"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_XX"}]}]}"#,
         #"seccomp profile x.json: syscalls[0].args[0].op: unknown operator "SCMP_CMP_XX""#),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}"#,
         "seccomp profile x.json: syscalls[0].args[0].index: expected an argument index from 0 to 5, found 6"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":-1,"op":"SCMP_CMP_EQ"}]}]}"#,
         "seccomp profile x.json: syscalls[0].args[0].value: expected an unsigned 64-bit number, found -1"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"op":"SCMP_CMP_EQ"}]}]}"#,
         "seccomp profile x.json: syscalls[0].args[0].value: missing"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"valuetwo":2,"op":"SCMP_CMP_EQ"}]}]}"#,
         "seccomp profile x.json: syscalls[0].args[0].valuetwo: unknown field"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","includes":{"kernel":"5.1"}}]}"#,
         "seccomp profile x.json: syscalls[0].includes.kernel: unknown field"),
        (#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","includes":{"minKernel":"five"}}]}"#,
         #"seccomp profile x.json: syscalls[0].includes.minKernel: expected MAJOR.MINOR, found "five""#),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [{\"names\": [\"mkdir\"] \"action\": \"SCMP_ACT_ERRNO\"}]}",
         "seccomp profile x.json: line 2, column 35: expected ',' or '}', found '\"'"),
        ("[]", "seccomp profile x.json: expected an object, found array"),
    ])
    func malformed(_ json: String, _ expected: String) {
        #expect(Self.message(json) == expected)
    }

    @Test func malformedProfileIsAUsageError() {
        do {
            _ = try Self.parse("{")
            Issue.record("parsed")
        } catch {
            #expect([.usage, .runtime].contains(error.code))
        }
    }

    @Test func syscallTooNewForLibseccompIsSkipped() throws {
        let p = try Self.parse(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","statmount","mseal"],"action":"SCMP_ACT_ERRNO"}]}"#)
        #expect(p.rules == [SeccompRule("mkdir", .errno(1))])
        #expect(p.skipped == [.init(name: "statmount", path: "syscalls[0].names[1]"), .init(name: "mseal", path: "syscalls[0].names[2]")])
    }

    @Test func realLibseccompKnowsTheOldAndNotTheNew() {
        #expect(Seccomp.syscallNumber("read") == 0)
        #expect(Seccomp.syscallNumber("chown32") != nil)  // i386 only: a pseudo number
        #expect(Seccomp.syscallNumber("notasyscall") == nil)
        // Every name of the table is either known to libseccomp or a known "too new" one.
        #expect(LinuxSyscallNames.x86_64.count == 383)
        #expect(Set(LinuxSyscallNames.x86_64).count == 383)
    }

    @Test func dockerIncludesAndExcludes() throws {
        let json = #"""
        {"defaultAction":"SCMP_ACT_ERRNO","archMap":[
           {"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]},
           {"architecture":"SCMP_ARCH_AARCH64","subArchitectures":["SCMP_ARCH_ARM"]}],
         "syscalls":[
          {"names":["ptrace"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4.8"}},
          {"names":["kexec_load"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"7.0"}},
          {"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
          {"names":["clone"],"action":"SCMP_ACT_ALLOW","excludes":{"caps":["CAP_SYS_ADMIN"]}},
          {"names":["chroot"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_CHROOT"]}},
          {"names":["arch_prctl"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["amd64","x32"]}},
          {"names":["set_tls"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["arm","arm64"]}},
          {"names":["modify_ldt"],"action":"SCMP_ACT_ALLOW","excludes":{"arches":["amd64"]}}
         ]}
        """#
        let p = try Self.parse(json)
        #expect(p.architectures == (Seccomp.nativeArchitecture == "x86_64" ? ["x86_64", "x86", "x32"] : []))
        #expect(p.rules.map(\.syscall) == ["ptrace", "clone", "chroot", "arch_prctl"])
        let admin = try SeccompProfile.parse(json: json, source: "x", context: .init(capabilities: ["CAP_SYS_ADMIN"]),
                                             isKnown: { LinuxSyscallNames.all.contains($0) || $0 == "set_tls" }, knowsArchitecture: { _ in true })
        #expect(admin.rules.map(\.syscall) == ["ptrace", "mount", "arch_prctl"])
    }

    @Test func errorPathStaysAllowed() {
        var p = SeccompProfile(defaultAction: .errno(1), architectures: ["x86_64"], rules: [
            SeccompRule("write", .errno(5)), SeccompRule("read", .allow),
            SeccompRule("exit_group", .allow, [SeccompCondition(index: 0, op: .equal, value: 0)]),
        ])
        var (f, overridden) = p.filter()
        #expect(overridden == ["write", "exit_group"])
        #expect(f.rules == [SeccompRule("read", .allow), SeccompRule("write", .allow), SeccompRule("exit_group", .allow)])
        p.rules = [SeccompRule("write", .allow)]
        (f, overridden) = p.filter()
        #expect(overridden.isEmpty)
        #expect(f.rules == [SeccompRule("write", .allow), SeccompRule("exit_group", .allow)])
        // A default of allow needs no extra rules.
        p.defaultAction = .allow
        p.rules = []
        #expect(p.filter().filter.rules.isEmpty)
    }

    @Test func twoConditionsOnOneArgumentBecomeTwoRules() {
        let a = SeccompCondition(index: 0, op: .equal, value: 1)
        let b = SeccompCondition(index: 0, op: .equal, value: 2)
        let c = SeccompCondition(index: 1, op: .equal, value: 3)
        let p = SeccompProfile(defaultAction: .allow, architectures: [], rules: [SeccompRule("kill", .errno(1), [a, b]), SeccompRule("tkill", .errno(1), [a, c])])
        #expect(p.filter().filter.rules == [SeccompRule("kill", .errno(1), [a]), SeccompRule("kill", .errno(1), [b]), SeccompRule("tkill", .errno(1), [a, c])])
    }

    @Test func low32() {
        let c = SeccompProfile.low32(argument: 1, in: [0x5412, 0x541C, 0x5412])
        #expect(c == [SeccompCondition(index: 1, op: .maskedEqual, value: 0xffff_ffff, valueTwo: 0x5412),
                      SeccompCondition(index: 1, op: .maskedEqual, value: 0xffff_ffff, valueTwo: 0x541C)])
        #expect(SeccompProfile.always(argument: 2) == SeccompCondition(index: 2, op: .greaterOrEqual, value: 0))
    }

    @Test func defaultProfile() {
        let p = DefaultSeccompProfile.profile()
        #expect(p.defaultAction == .errno(38))
        func actions(_ name: String) -> [SeccompAction] { p.rules.filter { $0.syscall == name }.map(\.action) }
        for refused in ["keyctl", "add_key", "request_key", "mount", "umount2", "pivot_root", "bpf", "kexec_load", "init_module",
                        "setns", "reboot", "swapon", "userfaultfd", "perf_event_open", "open_by_handle_at",
                        "acct", "settimeofday", "clock_settime", "io_uring_setup", "fsopen", "open_tree", "move_mount"] {
            #expect(actions(refused) == [.errno(1)], "\(refused)")
        }
        for allowed in ["read", "write", "execve", "capset", "prctl", "setresuid", "setgroups", "close_range", "exit_group",
                        "rt_sigaction", "rt_sigprocmask", "ptrace", "arch_prctl", "futex_waitv", "cachestat"] {
            #expect(actions(allowed) == [.allow], "\(allowed)")
        }
        #expect(actions("clone3") == [.errno(38)])
        // Filtered by arguments: both verdicts present, nothing unconditional.
        for name in ["clone", "unshare", "ioctl", "socket", "personality"] {
            let rules = p.rules.filter { $0.syscall == name }
            #expect(Set(rules.map(\.action)) == [.allow, .errno(1)], "\(name)")
            #expect(rules.allSatisfy { !$0.conditions.isEmpty }, "\(name)")
        }
        // Every syscall of the table has a verdict but those libseccomp cannot name.
        let ruled = Set(p.rules.map(\.syscall))
        for name in LinuxSyscallNames.x86_64 where Seccomp.syscallNumber(name) != nil {
            #expect(ruled.contains(name), "\(name)")
        }
    }
}
