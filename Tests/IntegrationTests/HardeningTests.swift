import Foundation
import Testing

/// The test rootfs with the probe (Tests/probe/silo-probe.c) in /usr/bin. Built here by
/// Tests/probe/build.sh when it is missing or older than the probe's source, so that
/// `swift test` alone is enough; CI may build it beforehand with the same script.
enum Probe {
    static var rootfs: String {
        ProcessInfo.processInfo.environment["SILO_PROBE_ROOTFS"] ?? "/var/lib/silo/rootfs/test"
    }

    static let source = Silo.packageRoot.appendingPathComponent("Tests/probe/silo-probe.c").path

    /// nil when the rootfs is ready, else why not.
    static let problem: String? = {
        guard Host.canRunContainers else { return "cannot run containers here" }
        let fm = FileManager.default
        let binary = rootfs + "/usr/bin/silo-probe"
        let built = (try? fm.attributesOfItem(atPath: binary)[.modificationDate] as? Date) ?? nil
        let written = (try? fm.attributesOfItem(atPath: source)[.modificationDate] as? Date) ?? nil
        if let built, let written, built >= written { return nil }
        let script = Silo.packageRoot.appendingPathComponent("Tests/probe/build.sh").path
        guard let r = try? Silo.exec("/bin/sh", [script, rootfs], timeout: 120), r.status == 0 else {
            return "Tests/probe/build.sh failed"
        }
        return fm.isExecutableFile(atPath: binary) ? nil : "no \(binary)"
    }()

    static var ready: Bool { problem == nil }

    /// `silo run --rootfs PROBE-ROOTFS OPTIONS... -- silo-probe`, as check → result.
    static func run(_ options: [String]) throws -> [String: String] {
        let r = try Silo.run(["run", "--rootfs", rootfs] + options + ["--", "silo-probe"])
        #expect(r.status == 0, "\(options): \(r)")
        var out: [String: String] = [:]
        for line in r.stdout.split(separator: "\n") {
            let f = line.split(separator: " ", maxSplits: 1).map(String.init)
            if f.count == 2 { out[f[0]] = f[1] }
        }
        #expect(out.count >= 40, "probe output: \(r.stdout)")
        return out
    }

    /// A check has failed when it did not work: an errno, or a read that returned nothing.
    static func failed(_ result: String?) -> Bool {
        guard let result else { return false }
        return result != "ok" && result != "data" && !result.hasPrefix("signal")
    }
}

/// What each layer stops. Each check fails under silo's defaults; taking one layer away at a
/// time shows which layer stopped it: seccomp (`--seccomp unconfined` lets it through),
/// capabilities (`--cap-add ALL` with seccomp off lets it through), or what stays when both are
/// gone (the user namespace, masked and read-only paths, the device-less /dev, kernel policy).
@Suite(.serialized, .enabled(if: Host.canRunContainers))
struct HardeningTests {
    /// Refused by the default seccomp profile with EPERM.
    static let seccompEPERM = [
        "mount", "umount2", "pivot_root", "swapon", "reboot", "kexec_load", "init_module", "delete_module", "bpf",
        "perf_event_open", "open_by_handle_at", "userfaultfd", "keyctl", "add_key", "request_key", "unshare_user",
        "clone_newuser", "setns", "clock_settime", "settimeofday", "acct", "tiocsti", "tiocsti_high", "tioclinux", "vsock",
        "vsock_high", "personality",
    ]
    /// Looks unimplemented to the container: clone3 (so glibc falls back to clone) and a 6.18
    /// syscall the profile cannot name.
    static let seccompENOSYS = ["clone3", "new_syscall"]
    /// Nothing but seccomp stops these: with it off they work, with any capabilities.
    static let seccompOnly = ["keyctl", "add_key", "unshare_user", "clone_newuser", "tiocsti", "tiocsti_high", "personality"]
    /// With seccomp off, the missing capability (SYS_ADMIN, SYS_BOOT) still refuses these with
    /// EPERM; with every capability they go through (inside the container's own namespaces).
    static let capabilityLayer = ["mount", "umount2", "pivot_root", "reboot", "setns"]
    /// Still refused with seccomp off and every capability: the capability that matters is
    /// checked in the host's user namespace, or the object is masked, read-only or absent.
    static let userNamespaceLayer = [
        "swapon", "open_by_handle_at", "clock_settime", "settimeofday", "acct", "mknod_block",
        "kexec_load", "init_module", "delete_module", "dev_mem", "dev_kmsg", "sysrq_trigger",
        "proc_sys_kernel", "kcore", "keys",
    ]

    static func sysctl(_ name: String) -> Int? {
        (try? String(contentsOfFile: "/proc/sys/" + name, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Refused past seccomp only by the host's sysctls, where they are set the strict way (as
    /// on the development VM): then they join the user-namespace layer.
    static var hostPolicyLayer: [String] {
        var out: [String] = []
        if (sysctl("kernel/perf_event_paranoid") ?? 0) >= 2 { out.append("perf_event_open") }
        if (sysctl("kernel/unprivileged_bpf_disabled") ?? 0) >= 1 { out.append("bpf") }
        if sysctl("vm/unprivileged_userfaultfd") == 0 { out.append("userfaultfd") }
        return out
    }

    /// With dev.tty.legacy_tiocsti=0 the kernel itself refuses TIOCSTI to the unprivileged.
    static var tiocstiNeedsSeccomp: Bool { (sysctl("dev/tty/legacy_tiocsti") ?? 1) == 1 }

    static func mustFail(_ r: [String: String]) -> [String] {
        r.keys.filter { !$0.hasPrefix("control_") }.sorted()
    }

    @Test(.enabled(if: Probe.ready))
    func everyCheckFailsUnderTheDefaults() throws {
        let r = try Probe.run([])
        for check in Self.mustFail(r) {
            #expect(Probe.failed(r[check]), "\(check): \(r[check] ?? "missing")")
        }
        for check in Self.seccompEPERM { #expect(r[check] == "EPERM", "\(check)") }
        for check in Self.seccompENOSYS { #expect(r[check] == "ENOSYS", "\(check)") }
        // Reading masked files gives nothing (or they are not there at all).
        for check in ["kcore", "keys"] { #expect(["empty", "ENOENT"].contains(r[check] ?? ""), "\(check): \(r[check] ?? "")") }
        for check in ["dev_mem", "dev_kmsg"] { #expect(r[check] == "ENOENT", "\(check)") }
        for (check, result) in r where check.hasPrefix("disk_") { #expect(result == "ENOENT", "\(check)") }
        // The filters refuse exactly what they should: the ordinary neighbours work.
        for (check, result) in r where check.hasPrefix("control_") { #expect(result == "ok", "\(check)") }
    }

    @Test(.enabled(if: Probe.ready))
    func eachLayerIsProvenByTakingTheOthersAway() throws {
        let defaults = try Probe.run([])
        let allCaps = try Probe.run(["--cap-add", "ALL"])
        let noSeccomp = try Probe.run(["--seccomp", "unconfined"])
        let neither = try Probe.run(["--seccomp", "unconfined", "--cap-add", "ALL"])

        // With every capability, seccomp alone still refuses everything, exactly as before.
        for check in Self.mustFail(defaults) {
            #expect(allCaps[check] == defaults[check], "--cap-add ALL: \(check): \(allCaps[check] ?? "") vs \(defaults[check] ?? "")")
        }
        // Without seccomp, the capabilities still refuse what needs SYS_ADMIN or SYS_BOOT...
        for check in Self.capabilityLayer { #expect(noSeccomp[check] == "EPERM", "--seccomp unconfined: \(check)") }
        // ...and what only seccomp stood in front of now goes through: seccomp was the layer.
        for check in Self.seccompOnly where Self.tiocstiNeedsSeccomp || !check.hasPrefix("tiocsti") {
            #expect(noSeccomp[check] == "ok", "--seccomp unconfined: \(check)")
        }
        for check in Self.seccompENOSYS { #expect(noSeccomp[check] != "ENOSYS", "--seccomp unconfined: \(check)") }
        #expect(noSeccomp["tioclinux"] != "EPERM")
        // With both layers gone the capability-layer calls work (in the container's own
        // namespaces: a tmpfs on its /mnt, its own mask taken off, a reboot call that gets as
        // far as the magic number), which shows the capabilities were what stopped them.
        for check in Self.capabilityLayer {
            #expect(neither[check] != "EPERM", "both off: \(check)")
        }
        #expect(neither["mount"] == "ok")
        #expect(neither["reboot"] == "EINVAL")
        // What remains is held by the user namespace, the masks and the empty /dev.
        for check in Self.userNamespaceLayer + Self.hostPolicyLayer {
            #expect(Probe.failed(neither[check]), "both off: \(check): \(neither[check] ?? "missing")")
        }
        for (check, result) in neither where check.hasPrefix("disk_") { #expect(result == "ENOENT", "both off: \(check)") }
        for r in [allCaps, noSeccomp, neither] {
            for (check, result) in r where check.hasPrefix("control_") { #expect(result == "ok", "\(check)") }
        }
    }

    static func status(_ options: [String], user: String? = nil) throws -> [String: String] {
        let r = try Silo.container(options + (user.map { ["--user", $0] } ?? []) + ["--", "cat", "/proc/self/status"])
        #expect(r.status == 0, "\(r)")
        var out: [String: String] = [:]
        for line in r.stdout.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if f.count == 2 { out[f[0]] = f[1] }
        }
        return out
    }

    @Test(.enabled(if: Host.canRunContainers))
    func statusShowsTheDefaults() throws {
        let s = try Self.status([])
        #expect(s["CapInh"] == "0000000000000000")
        #expect(s["CapPrm"] == "00000000a80425fb")
        #expect(s["CapEff"] == "00000000a80425fb")
        #expect(s["CapBnd"] == "00000000a80425fb")
        #expect(s["CapAmb"] == "0000000000000000")
        #expect(s["NoNewPrivs"] == "1")
        #expect(s["Seccomp"] == "2")
        #expect(s["Seccomp_filters"] == "1")
    }

    @Test(.enabled(if: Host.canRunContainers))
    func capAddShowsUpInCapEff() throws {
        let s = try Self.status(["--cap-add", "NET_ADMIN"])
        #expect(s["CapEff"] == "00000000a80435fb")
        #expect(s["CapBnd"] == "00000000a80435fb")
        let dropped = try Self.status(["--cap-drop", "cap_net_raw", "--cap-add", "cap_sys_ptrace"])
        #expect(dropped["CapEff"] == String(format: "%016llx", (0xa804_25fb & ~(UInt64(1) << 13)) | (1 << 19)))
    }

    @Test(.enabled(if: Host.canRunContainers))
    func unknownCapabilityIsAnError() throws {
        let r = try Silo.container(["--cap-add", "NET_ADMINN", "--", "true"])
        #expect(r.status == 125)
        #expect(r.stderr == "silo: cap-add NET_ADMINN: unknown capability (expected a name such as NET_ADMIN, cap_net_admin or ALL)\n")
    }

    @Test(.enabled(if: Host.canRunContainers))
    func nonRootUserHasNoCapabilities() throws {
        let s = try Self.status([], user: "1000")
        #expect(s["Uid"]?.hasPrefix("1000") == true)
        #expect(s["CapEff"] == "0000000000000000")
        #expect(s["CapPrm"] == "0000000000000000")
        #expect(s["CapInh"] == "0000000000000000")
        #expect(s["CapBnd"] == "00000000a80425fb")
        #expect(s["NoNewPrivs"] == "1")
        #expect(s["Seccomp"] == "2")
    }

    /// Without no_new_privs the filter is loaded before the capability drop (it needs
    /// CAP_SYS_ADMIN then) and must let the rest of the set-up through.
    @Test(.enabled(if: Probe.ready))
    func noNewPrivilegesFalseStillFilters() throws {
        let s = try Self.status(["--no-new-privileges=false"])
        #expect(s["NoNewPrivs"] == "0")
        #expect(s["Seccomp"] == "2")
        #expect(s["CapEff"] == "00000000a80425fb")
        #expect(s["CapBnd"] == "00000000a80425fb")
        let user = try Self.status(["--no-new-privileges=false"], user: "1000:1000")
        #expect(user["Seccomp"] == "2")
        #expect(user["CapEff"] == "0000000000000000")
        let r = try Probe.run(["--no-new-privileges=false"])
        for check in Self.seccompEPERM { #expect(r[check] == "EPERM", "\(check)") }
    }

    @Test(.enabled(if: Host.canRunContainers))
    func unconfinedHasNoFilter() throws {
        let s = try Self.status(["--seccomp", "unconfined"])
        #expect(s["Seccomp"] == "0")
        #expect(s["NoNewPrivs"] == "1")
    }

    static func withProfile(_ json: String, _ body: (String) throws -> Void) throws {
        let path = NSTemporaryDirectory() + "silo-profile-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }

    @Test(.enabled(if: Host.canRunContainers), arguments: [true, false])
    func customProfileRefusesMkdirWithItsErrno(noNewPrivs: Bool) throws {
        // EDQUOT: an errno nothing else would produce here.
        let profile = #"""
        {"defaultAction": "SCMP_ACT_ALLOW",
         "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}
        """#
        try Self.withProfile(profile) { path in
            let r = try Silo.container(["--seccomp", path, "--no-new-privileges=\(noNewPrivs)", "--", "mkdir", "/tmp/d"])
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.contains("Disk quota exceeded"), "\(r)")
            let ok = try Silo.container(["--security-opt", "seccomp=\(path)", "--", "touch", "/tmp/f"])
            #expect(ok.status == 0, "\(ok)")
        }
    }

    @Test(.enabled(if: Host.canRunContainers), arguments: [
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW"}, {"names": ["mkdir"], "action": "SCMP_ACT_FOO"}]}"#,
         #"syscalls[1].action: unknown action "SCMP_ACT_FOO""#),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ALMOST"}]}]}"#,
         #"syscalls[0].args[0].op: unknown operator "SCMP_CMP_ALMOST""#),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "makedir"], "action": "SCMP_ACT_ERRNO"}]}"#,
         #"syscalls[0].names[1]: "makedir" is not a Linux syscall"#),
        ("{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [}", "line 2, column 15: unexpected '}', expected a value"),
    ])
    func malformedProfileIsAnError(json: String, message: String) throws {
        try Self.withProfile(json) { path in
            let r = try Silo.container(["--seccomp", path, "--", "true"])
            #expect(r.status == 125, "\(r)")
            #expect(r.stderr == "silo: seccomp profile \(path): \(message)\n")
            #expect(r.stdout.isEmpty)
        }
    }

    @Test(.enabled(if: Host.canRunContainers))
    func missingProfileIsAnError() throws {
        let r = try Silo.container(["--seccomp", "/nonexistent/profile.json", "--", "true"])
        #expect(r.status == 125)
        #expect(r.stderr == "silo: --seccomp /nonexistent/profile.json: No such file or directory\n")
    }

    /// statmount is a real syscall of 6.18 that libseccomp 2.5.4 cannot name: skipped, with a
    /// warning, the way runc and crun do it.
    @Test(.enabled(if: Host.canRunContainers))
    func syscallTooNewForLibseccompIsSkippedWithAWarning() throws {
        let profile = #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["statmount", "mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}"#
        try Self.withProfile(profile) { path in
            let r = try Silo.container(["--seccomp", path, "--", "mkdir", "/tmp/d"])
            #expect(r.status == 1)
            #expect(r.stderr.contains("silo: warning: seccomp profile \(path): libseccomp"))
            #expect(r.stderr.contains("statmount (syscalls[0].names[0])"))
            #expect(r.stderr.contains("Disk quota exceeded"))
        }
    }

    @Test(.enabled(if: Host.canRunContainers))
    func ulimitLowers() throws {
        let r = try Silo.container(["--ulimit", "nofile=100:200", "--ulimit", "core=0", "--", "cat", "/proc/self/limits"])
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n")
        let files = lines.first { $0.hasPrefix("Max open files") }?.split(separator: " ", omittingEmptySubsequences: true)
        #expect(files?[3] == "100" && files?[4] == "200", "\(r.stdout)")
        let core = lines.first { $0.hasPrefix("Max core file size") }?.split(separator: " ", omittingEmptySubsequences: true)
        #expect(core?[4] == "0" && core?[5] == "0", "\(r.stdout)")
    }

    /// RLIMIT_NOFILE's hard limit of this test process (which silo inherits).
    static let nofileHardLimit: rlim_t = {
        var lim = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &lim)
        return lim.rlim_max
    }()

    @Test(.enabled(if: Host.canRunContainers && HardeningTests.nofileHardLimit != rlim_t.max,
                   "RLIMIT_NOFILE's hard limit is unlimited here: there is nothing above it to refuse"))
    func ulimitCannotRaiseTheHardLimit() throws {
        let max = HardeningTests.nofileHardLimit
        let raised = try Silo.container(["--ulimit", "nofile=64:\(max + 1)", "--", "true"])
        #expect(raised.status == 125)
        #expect(raised.stderr == "silo: ulimit nofile=64:\(max + 1): cannot raise the hard limit above \(max) without CAP_SYS_RESOURCE (the container's user namespace never has it)\n")
    }

    @Test(.enabled(if: Host.canRunContainers))
    func unknownUlimitIsRefused() throws {
        let bad = try Silo.container(["--ulimit", "nofiles=1", "--", "true"])
        #expect(bad.status == 125)
        #expect(bad.stderr.hasPrefix("silo: ulimit nofiles=1: unknown limit `nofiles`"))
    }

    /// fds the caller leaks into silo do not reach the command (close_range CLOEXEC from 3).
    @Test(.enabled(if: Host.canRunContainers))
    func fdsAboveTwoAreClosed() throws {
        let script = "exec 7</etc/hostname 9>/dev/null; '\(Silo.binary)' run --rootfs '\(Silo.rootfs)' -- sh -c 'for fd in 7 9; do if [ -e /proc/self/fd/$fd ]; then echo leaked $fd; fi; done; echo done'"
        let r = try Silo.host(script)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "done\n", "\(r)")
    }

    /// `pgrp session tty_nr` of the container's PID 1, from /proc/self/stat of `cat`.
    static func group(_ stat: String) -> [Substring] {
        let f = stat.split(separator: ")").last?.split(separator: " ") ?? []
        return f.count > 5 ? Array(f[2...4]) : []
    }

    /// silo started with a controlling terminal but no terminal on stdin (`script` gives it
    /// one, stdin from /dev/null): the container leads a session of its own, so /dev/tty is no
    /// way back to that terminal.
    @Test(.enabled(if: Host.canRunContainers && FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func newSessionWhenSiloHasAControllingTerminal() throws {
        let inner = "'\(Silo.binary)' run --rootfs '\(Silo.rootfs)' -- cat /proc/self/stat </dev/null"
        let r = try Silo.exec("/usr/bin/script", ["-qec", inner, "/dev/null"], stdin: "")
        #expect(r.status == 0, "\(r)")
        // pgrp 1, session 1 (cat is PID 1 and leads both), no controlling terminal.
        #expect(Self.group(r.stdout.replacingOccurrences(of: "\r", with: "")) == ["1", "1", "0"], "\(r.stdout)")
    }

    /// silo without a controlling terminal (setsid(1) makes sure): there is no terminal to keep
    /// out of reach, so no setsid (its scheduler autogroup move costs a reschedule); the
    /// container leads a process group of its own in silo's session, which its PID namespace
    /// shows as 0.
    @Test(.enabled(if: Host.canRunContainers && FileManager.default.isExecutableFile(atPath: "/usr/bin/setsid")))
    func aProcessGroupWithoutAControllingTerminal() throws {
        let r = try Silo.exec("/usr/bin/setsid", ["-w", Silo.binary, "run", "--rootfs", Silo.rootfs, "--", "cat", "/proc/self/stat"])
        #expect(r.status == 0, "\(r)")
        #expect(Self.group(r.stdout) == ["1", "0", "0"], "\(r.stdout)")
    }

    @Test(.enabled(if: Host.canRunContainers))
    func maskedAndReadOnlyPaths() throws {
        let r = try Silo.container(["--", "sh", "-c", "cat /proc/keys /proc/timer_list 2>&1 | wc -c; cat /proc/self/mountinfo"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.hasPrefix("0\n"), "\(r.stdout)")
        var options: [String: String] = [:]
        for line in r.stdout.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ")
            if f.count > 5 { options[String(f[4])] = String(f[5]) }
        }
        for p in ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys"] where options[p] != nil {
            #expect(options[p]?.split(separator: ",").first == "ro", "\(p): \(options[p] ?? "")")
        }
        #expect(options["/proc/sys"] != nil)
        for p in ["/proc/keys", "/proc/timer_list", "/proc/acpi", "/sys/firmware"] where FileManager.default.fileExists(atPath: p) {
            #expect(options[p] != nil, "\(p) is not masked")
        }
    }
}
