import Foundation
import Testing

/// podman (with conmon) running its containers through silo: `podman run --runtime silo` as
/// people use it, each operation checked from inside the container and on the host. Every test
/// has its own private environment (scripts/engine-env) and ends with `down()`, which checks
/// that nothing is left. The runtime is silo by name, so podman passes it `--log-format=json --log`.
@Suite(.serialized, .enabled(if: EngineEnv.hasPodman, "needs real root, the busybox rootfs, podman and conmon"))
final class PodmanTests {
    let env: EngineEnv
    let image = EngineEnv.image

    init() throws { env = try EngineEnv(.podman) }
    deinit { try? env.down() }

    @Test func exitStatusesAreTheProcesssOrPodmansForAFailedStart() throws {
        #expect(try env.podman(["run", "--rm", image, "sh", "-c", "exit 42"]).status == 42)
        let missing = try env.podman(["run", "--rm", image, "/nonexistent"])
        #expect(missing.status == 127, "\(missing)")
        #expect(missing.stderr.lowercased().contains("no such file or directory"))
        let notExecutable = try env.podman(["run", "--rm", image, "/etc/passwd"])
        #expect(notExecutable.status == 126, "\(notExecutable)")
    }

    @Test func environmentWorkdirUserAndHostname() throws {
        let r = try env.podman(["run", "--rm", "-e", "FOO=bar baz", "-w", "/tmp", "-u", "1000:100", "--hostname", "engine-host",
                                image, "sh", "-c", "echo \"$FOO|$(pwd)|$(id -u):$(id -g)|$(hostname)\""])
        #expect(r.status == 0, "\(r)")
        #expect(r.out == "bar baz|/tmp|1000:100|engine-host")
        let more = try env.podman(["run", "--rm", "-u", "1000", "--group-add", "10", "--oom-score-adj", "100", "--shm-size", "1m", image,
                                   "sh", "-c", "id -G; cat /proc/self/oom_score_adj; df -k /dev/shm | tail -1 | tr -s ' ' | cut -d' ' -f2"])
        #expect(more.status == 0, "\(more)")
        #expect(more.out == "1000 10\n100\n1024" || more.out == "1000 10 100\n100\n1024", "\(more)")
    }

    /// stdin reaches the process, and stdout and stderr carry only what it wrote: a warning of
    /// silo's must go to the `--log` file, not into the container's stderr.
    @Test func stdinAndCleanOutputStreams() throws {
        let r = try env.podman(["run", "--name", "s1", "-i", image, "sh", "-c", "cat; echo to-stderr >&2"], stdin: "hello\nworld\n")
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "hello\nworld\n")
        #expect(r.stderr == "to-stderr\n", "silo wrote into the container's stderr: \(r.stderr)")
        // The log holds all the container's output, from before podman attached too.
        let logs = try env.podman(["logs", "s1"])
        #expect(logs.stdout + logs.stderr == "hello\nworld\nto-stderr\n", "silo wrote into the container's log: \(logs)")
        #expect(try env.podman(["rm", "s1"]).status == 0)
    }

    @Test(.enabled(if: EngineEnv.hasCatatonit, "podman --init needs catatonit (/usr/libexec/podman/catatonit)"))
    func initProcessReapsAndForwards() throws {
        let r = try env.podman(["run", "--rm", "--init", image, "sh", "-c", "cat /proc/1/comm; echo $$"])
        #expect(r.status == 0, "\(r)")
        let lines = r.out.split(separator: "\n")
        #expect(lines.count == 2 && lines[0] == "podman-init" && lines[1] != "1", "catatonit is pid 1, the command its child: \(r)")
        #expect(try env.podman(["run", "--rm", "--init", image, "sh", "-c", "exit 3"]).status == 3)
    }

    @Test func readOnlyRootVolumesAndTmpfs() throws {
        let vol = env.dir + "/vol"
        try FileManager.default.createDirectory(atPath: vol, withIntermediateDirectories: true)
        try "from-host\n".write(toFile: vol + "/in", atomically: true, encoding: .utf8)
        let r = try env.podman(["run", "--rm", "--read-only", "-v", vol + ":/vol", "-v", vol + ":/rovol:ro", "--tmpfs", "/scratch:size=1m",
                                image, "sh", "-c",
                                "touch /x 2>/dev/null && echo root-rw || echo root-ro; cat /vol/in; echo out >/vol/out;"
                                + " touch /rovol/y 2>/dev/null && echo rovol-rw || echo rovol-ro;"
                                + " grep ' /scratch ' /proc/mounts | cut -d' ' -f3; echo s >/scratch/f && echo scratch-rw"])
        #expect(r.status == 0, "\(r)")
        #expect(r.out == "root-ro\nfrom-host\nrovol-ro\ntmpfs\nscratch-rw", "\(r)")
        #expect((try? String(contentsOfFile: vol + "/out", encoding: .utf8)) == "out\n")
    }

    @Test func capabilitiesSeccompAndNoNewPrivileges() throws {
        let caps = try env.podman(["run", "--rm", "--cap-add", "SYS_ADMIN", "--cap-drop", "CHOWN", image,
                                   "sh", "-c", "grep -E '^(CapEff|CapBnd|Seccomp|NoNewPrivs):' /proc/self/status"])
        #expect(caps.status == 0, "\(caps)")
        let fields = Dictionary(uniqueKeysWithValues: caps.out.split(separator: "\n").map { l in
            let p = l.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            return (p[0], p.count > 1 ? p[1] : "")
        })
        let eff = UInt64(fields["CapEff"] ?? "", radix: 16) ?? 0
        #expect(eff & (1 << 21) != 0, "CAP_SYS_ADMIN was added: \(caps.out)")
        #expect(eff & 1 == 0, "CAP_CHOWN was dropped: \(caps.out)")
        #expect(eff & (1 << 5) != 0, "CAP_KILL is in podman's default set: \(caps.out)")
        #expect(fields["CapBnd"] == fields["CapEff"])
        #expect(fields["Seccomp"] == "2", "podman's default seccomp profile is loaded: \(caps.out)")
        #expect(fields["NoNewPrivs"] == "0")

        let unconfined = try env.podman(["run", "--rm", "--security-opt", "seccomp=unconfined", "--security-opt", "no-new-privileges",
                                         image, "grep", "-E", "^(Seccomp|NoNewPrivs):", "/proc/self/status"])
        #expect(unconfined.status == 0, "\(unconfined)")
        #expect(unconfined.out.replacingOccurrences(of: "\t", with: " ") == "NoNewPrivs: 1\nSeccomp: 0", "\(unconfined)")
    }

    @Test func maskedAndReadOnlyPaths() throws {
        let r = try env.podman(["run", "--rm", image, "sh", "-c",
                                "wc -c </proc/keys; ls /proc/acpi /sys/firmware | wc -w;"
                                + " echo x >/proc/sys/kernel/domainname 2>/dev/null && echo sys-rw || echo sys-ro;"
                                + " grep -E ' /proc/(acpi|keys) ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1"])
        #expect(r.status == 0, "\(r)")
        // /proc/keys is /dev/null, /proc/acpi and /sys/firmware empty read-only tmpfs, /proc/sys read-only.
        #expect(r.out == "0\n2\nsys-ro\nro\nrw" || r.out == "0\n2\nsys-ro\nrw\nro", "\(r)")
    }

    /// Namespace options podman turns into config.json: a shared PID namespace, a private
    /// cgroup namespace, a user namespace from --uidmap, and fds passed with --preserve-fds.
    @Test func namespaceOptionsAndPreservedFDs() throws {
        let pid = try env.podman(["run", "--rm", "--pid", "host", "--ipc", "private", image, "readlink", "/proc/self/ns/pid"])
        #expect(pid.status == 0 && pid.out == Host.nsInode("pid"), "\(pid)")
        let cg = try env.podman(["run", "--rm", "--cgroupns", "private", image, "readlink", "/proc/self/ns/cgroup"])
        #expect(cg.status == 0 && cg.out.hasPrefix("cgroup:") && cg.out != Host.nsInode("cgroup"), "\(cg)")
        let users = try env.podman(["run", "--rm", "--uidmap", "0:200000:65536", "--gidmap", "0:200000:65536", image,
                                    "sh", "-c", "id -u; tr -s ' ' </proc/self/uid_map"])
        #expect(users.status == 0 && users.out == "0\n 0 200000 65536", "\(users)")
        let fds = try env.sh(". \(env.dir)/podman.env; exec 3<\(env.dir)/podman.env; exec $PODMAN run --rm --preserve-fds 1 \(image) sh -c 'head -c 6 <&3'")
        #expect(fds.status == 0 && fds.stdout == "export", "fd 3 reaches the process: \(fds)")
    }

    @Test
    func devicesAndPrivileged() throws {
        let r = try env.podman(["run", "--rm", "--device", "/dev/fuse", image, "sh", "-c", "ls -l /dev/fuse | cut -c1"])
        #expect(r.status == 0 && r.out == "c", "\(r)")
        // --privileged adds every host device node, and every capability podman has.
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let hostCaps = status.split(separator: "\n").first { $0.hasPrefix("CapEff:") }.map(String.init) ?? "?"
        let p = try env.podman(["run", "--rm", "--privileged", image, "sh", "-c", "test -c /dev/fuse && grep CapEff /proc/self/status"])
        #expect(p.status == 0 && p.out == hostCaps, "\(p)")
    }

    @Test func ulimitsAndSysctls() throws {
        // --ulimit replaces podman's defaults, whose nproc (1048576) root cannot raise here.
        let r = try env.podman(["run", "--rm", "--ulimit", "nofile=1000:2000", "--ulimit", "nproc=500:600",
                                "--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmni=1234", image,
                                "sh", "-c", "ulimit -Sn; ulimit -Hn; ulimit -Su; ulimit -Hu; cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni"])
        #expect(r.status == 0, "\(r)")
        #expect(r.out == "1000\n2000\n500\n600\n1\n1234", "\(r)")
    }

    @Test func networkNoneAndHost() throws {
        let none = try env.podman(["run", "--rm", "--network", "none", image, "sh", "-c", "ls /sys/class/net; readlink /proc/self/ns/net"])
        #expect(none.status == 0, "\(none)")
        let hostNet = Host.nsInode("net")
        #expect(none.out.hasPrefix("lo\nnet:"), "\(none)")
        #expect(!none.out.hasSuffix(hostNet))
        let host = try env.podman(["run", "--rm", "--network", "host", image, "readlink", "/proc/self/ns/net"])
        #expect(host.status == 0, "\(host)")
        #expect(host.out == hostNet, "--network host shares the host's network namespace: \(host)")
    }

    /// A detached container through its life: ps, logs, exec, top, kill, stop (graceful, then
    /// SIGKILL after the timeout), wait, restart, rm -f.
    @Test func detachedLifecycle() throws {
        let script = "trap 'echo got-usr1' USR1; trap 'echo got-term; exit 5' TERM; echo started; while :; do sleep 0.1; done"
        let run = try env.podman(["run", "-d", "--name", "c1", image, "sh", "-c", script])
        #expect(run.status == 0, "\(run)")
        let status = { try self.env.podman(["ps", "-a", "--filter", "name=c1", "--format", "{{.Status}}"]).out }
        #expect(try status().hasPrefix("Up"))
        #expect(try env.eventually { try self.env.podman(["logs", "c1"]).out == "started" }, "logs: \((try? env.podman(["logs", "c1"]))?.description ?? "")")

        let e = try env.podman(["exec", "c1", "sh", "-c", "echo in; exit 7"])
        #expect(e.status == 7 && e.out == "in", "\(e)")
        let missing = try env.podman(["exec", "c1", "/nonexistent"])
        #expect(missing.status == 127, "\(missing)")
        let settings = try env.podman(["exec", "-u", "1000", "-e", "A=b", "-w", "/tmp", "c1", "sh", "-c", "echo $A $(id -u) $(pwd)"])
        #expect(settings.out == "b 1000 /tmp", "\(settings)")
        let input = try env.podman(["exec", "-i", "c1", "cat"], stdin: "piped\n")
        #expect(input.stdout == "piped\n", "\(input)")
        #expect(try env.podman(["exec", "-d", "c1", "sh", "-c", "echo detached >/tmp/d"]).status == 0)
        #expect(try env.eventually { try self.env.podman(["exec", "c1", "cat", "/tmp/d"]).out == "detached" }, "exec -d")
        let fd = try env.sh(". \(env.dir)/podman.env; exec 3<\(env.dir)/podman.env; exec $PODMAN exec --preserve-fds 1 c1 sh -c 'head -c 6 <&3'")
        #expect(fd.status == 0 && fd.stdout == "export", "exec --preserve-fds: \(fd)")

        let top = try env.podman(["top", "c1", "pid", "args"])
        #expect(top.status == 0 && top.stdout.contains("sh -c trap"), "\(top)")

        #expect(try env.podman(["kill", "-s", "USR1", "c1"]).status == 0)
        #expect(try env.eventually { try self.env.podman(["logs", "c1"]).stdout.contains("got-usr1") },
                "logs: \((try? env.podman(["logs", "c1"]))?.description ?? "")")

        let stop = try env.podman(["stop", "-t", "10", "c1"])
        #expect(stop.status == 0, "\(stop)")
        #expect(try env.podman(["wait", "c1"]).out == "5", "stop sends SIGTERM first; the trap exits 5")
        #expect(try env.podman(["logs", "c1"]).stdout.contains("got-term"))

        #expect(try env.podman(["restart", "c1"]).status == 0)
        #expect(try status().hasPrefix("Up"), "restart")
        // A process that ignores SIGTERM: stop SIGKILLs it after the timeout.
        let ignoring = try env.podman(["run", "-d", "--name", "c2", image, "sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"])
        #expect(ignoring.status == 0, "\(ignoring)")
        let started = Date()
        #expect(try env.podman(["stop", "-t", "1", "c2"]).status == 0)
        #expect(Date().timeIntervalSince(started) >= 0.9)
        #expect(try env.podman(["wait", "c2"]).out == "137")
        #expect(try env.podman(["start", "c2"]).status == 0, "start again")
        #expect(try env.podman(["ps", "-a", "--filter", "name=c2", "--format", "{{.Status}}"]).out.hasPrefix("Up"))

        let rm = try env.podman(["rm", "-f", "-t", "0", "c1", "c2"])
        #expect(rm.status == 0, "\(rm)")
        #expect(try env.podman(["ps", "-aq"]).out.isEmpty)
    }

    // process.terminal for create, cgroups for bundles (issue 11).

    @Test
    func terminal() throws {
        let t = try env.podman(["run", "--rm", "-t", image, "sh", "-c", "tty; stty size"])
        #expect(t.status == 0, "\(t)")
        #expect(t.out.hasPrefix("/dev/pts/0"))
        let it = try env.sh(". \(env.dir)/podman.env; echo 'echo inside; exit 4' | script -qec \"$PODMAN run --rm -it \(image) sh\" /dev/null")
        #expect(it.stdout.contains("inside"))
        let run = try env.podman(["run", "-d", "--name", "t1", image, "sleep", "100"])
        #expect(run.status == 0)
        let e = try env.sh(". \(env.dir)/podman.env; script -qec \"$PODMAN exec -t t1 tty\" /dev/null")
        #expect(e.stdout.contains("/dev/pts/"))
        #expect(try env.podman(["rm", "-f", "-t", "0", "t1"]).status == 0)
    }

    @Test
    func pauseAndUnpause() throws {
        #expect(try env.podman(["run", "-d", "--name", "p1", image, "sh", "-c", "while :; do date +%s%N >/tmp/t; sleep 0.05; done"]).status == 0)
        #expect(try env.podman(["pause", "p1"]).status == 0)
        #expect(try env.podman(["ps", "-a", "--filter", "name=p1", "--format", "{{.Status}}"]).out.hasPrefix("Paused"))
        #expect(try env.podman(["unpause", "p1"]).status == 0)
        #expect(try env.podman(["exec", "p1", "true"]).status == 0)
        #expect(try env.podman(["rm", "-f", "-t", "0", "p1"]).status == 0)
    }

    @Test
    func memoryAndPidsLimits() throws {
        let r = try env.podman(["run", "--rm", "--memory", "64m", "--pids-limit", "50", image, "sh", "-c",
                                "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max"])
        #expect(r.status == 0, "\(r)")
        #expect(r.out == "67108864\n50", "\(r)")
    }
}
