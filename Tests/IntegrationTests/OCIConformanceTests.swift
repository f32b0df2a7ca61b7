import Foundation
import SiloKit
import SiloSpec
import SiloSys
import Testing

/// The config fields the runtime-tools suite checks and silo used to get wrong (docs/oci.md,
/// "Conformance"), each checked from inside the container through `run --bundle`.
@Suite(.serialized, .enabled(if: Host.canRunContainers, "needs real root and the busybox rootfs"))
struct OCIConformanceTests {
    typealias Bundle = OCILifecycleTests.Bundle

    func run(_ b: Bundle, _ id: String) throws -> (Silo.Result, String) {
        try b.write()
        let r = try b.silo(["run", "--bundle", b.dir, id])
        return (r, (try? String(contentsOfFile: b.out + "/result", encoding: .utf8)) ?? "")
    }

    /// rootfsPropagation after pivot_root (pivot_root refuses a shared parent), propagation
    /// options of binds, and binds listed in mountinfo in the config's order.
    @Test func propagationOfTheRootAndOfBindsAndTheirOrder() throws {
        let b = try Bundle(script: "{ grep -E ' / | /mnt/a | /mnt/b | /mnt/t ' /proc/self/mountinfo; echo END; } >/out/result")
        defer { try? b.destroy(["p1"]) }
        try FileManager.default.createDirectory(atPath: b.dir + "/src", withIntermediateDirectories: true)
        b.spec.linux!.rootfsPropagation = "shared"
        b.spec.mounts.append(OCISpec.Mount(destination: "/mnt/a", type: "bind", source: b.dir + "/src", options: ["bind", "shared"]))
        b.spec.mounts.append(OCISpec.Mount(destination: "/mnt/t", type: "tmpfs", source: "tmpfs", options: ["size=1k"]))
        b.spec.mounts.append(OCISpec.Mount(destination: "/mnt/b", type: "bind", source: b.dir + "/src", options: ["bind", "private"]))
        let (r, seen) = try run(b, "p1")
        #expect(r.status == 0, "\(r)")
        let lines = seen.split(separator: "\n").map(String.init)
        func line(_ at: String) -> String { lines.first { $0.split(separator: " ").dropFirst(4).first.map(String.init) == at } ?? "" }
        #expect(line("/").contains(" shared:"), "the root is shared: \(seen)")
        #expect(line("/mnt/a").contains(" shared:"), "\(seen)")
        #expect(!line("/mnt/b").contains("shared:") && !line("/mnt/b").isEmpty, "\(seen)")
        let order = lines.compactMap { $0.split(separator: " ").dropFirst(4).first.map(String.init) }.filter { $0.hasPrefix("/mnt/") }
        #expect(order == ["/mnt/a", "/mnt/t", "/mnt/b"], "mountinfo follows the config: \(seen)")
    }

    /// Extra `linux.devices`: made with the config's numbers, mode (not the umask's) and owner,
    /// and usable under the config's "deny all" device rules.
    @Test func extraDevicesAreMadeAndAllowed() throws {
        let b = try Bundle(script: "{ stat -c '%F %t:%T %a %u:%g' /dev/test1 /dev/fifo1; echo x >/dev/test2 && echo wrote; echo END; } >/out/result 2>&1")
        defer { try? b.destroy(["d1"]) }
        var c = OCISpec.Device(path: "/dev/test1", type: "c")
        c.major = 10
        c.minor = 666
        c.fileMode = 0o640
        c.uid = 7
        c.gid = 8
        var fifo = OCISpec.Device(path: "/dev/fifo1", type: "p")
        fifo.fileMode = 0o600
        var null = OCISpec.Device(path: "/dev/test2", type: "c")
        null.major = 1
        null.minor = 3
        b.spec.linux!.devices = [c, fifo, null]
        b.spec.process!.user.umask = 0o077
        let (r, seen) = try run(b, "d1")
        #expect(r.status == 0, "\(r)")
        #expect(seen.contains("character special file a:29a 640 7:8"), "\(seen)")
        #expect(seen.contains("fifo 0:0 600 0:0"), "\(seen)")
        #expect(seen.contains("wrote"), "a config device is allowed by the devices cgroup: \(seen)")
    }

    /// A user whose directories up to the command are not searchable (the bundle's root is
    /// 0700, as runtime-tools makes it) still runs a command it may execute.
    @Test func aCommandBelowAnUnsearchableRootRunsForItsUser() throws {
        let b = try Bundle(script: "exit 42")
        defer { try? b.destroy(["u1"]) }
        try Silo.host("chmod 700 \(b.dir)/rootfs").check()
        b.spec.process!.user.uid = 10
        b.spec.process!.user.gid = 10
        b.spec.process!.args = ["/bin/sh", "-c", "exit 42"]
        let (r, _) = try run(b, "u1")
        #expect(r.status == 42, "the shell ran as uid 10: \(r)")
    }

    /// An unknown capability name is refused by its JSON path; config.json edited after create
    /// does not change what start does.
    @Test func unknownCapabilityAndConfigEditsAfterCreate() throws {
        let b = try Bundle(script: "echo started >/out/result; echo END >>/out/result")
        defer { try? b.destroy(["k1", "k2"]) }
        b.spec.process!.capabilities!.bounding = (b.spec.process!.capabilities!.bounding ?? []) + ["CAP_TIME_TRAVEL"]
        try b.write()
        let bad = try b.silo(["create", "k1"])
        #expect(bad.status == 1 && bad.stderr.contains(#".process.capabilities.bounding"#) && bad.stderr.contains("CAP_TIME_TRAVEL"), "\(bad)")
        b.spec.process!.capabilities!.bounding = b.spec.process!.capabilities!.bounding?.filter { $0 != "CAP_TIME_TRAVEL" }
        try b.write()
        #expect(try b.silo(["create", "k2"]).status == 0)
        try "{\"ociVersion\": \"1.0.0\"}".write(toFile: b.dir + "/config.json", atomically: true, encoding: .utf8)
        let s = try b.silo(["start", "k2"])
        #expect(s.status == 0, "\(s)")
        #expect(b.result() == "started\nEND\n")
    }

    /// A mount namespace given by path is the container's (the init enters it before mounting).
    @Test func aMountNamespaceByPathIsJoined() throws {
        let b = try Bundle(script: "true")
        defer { try? b.destroy(["n1"]) }
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        holder.arguments = ["--mount", "--propagation", "private", "--fork", "sleep", "60"]
        try holder.run()
        var child = ""
        defer {
            if let c = pid_t(child) { kill(c, SIGKILL) }
            kill(holder.processIdentifier, SIGKILL)
            holder.waitUntilExit()
        }
        for _ in 0..<100 {
            child = (try? Silo.host("pgrep -P \(holder.processIdentifier) sleep").stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? ""
            if !child.isEmpty && Host.nsInode("mnt", pid: child) != Host.nsInode("mnt") { break }
            usleep(20_000)
        }
        try #require(!child.isEmpty)
        let target = Host.nsInode("mnt", pid: child)
        let i = try #require(b.spec.linux!.namespaces.firstIndex { $0.type == .mount })
        b.spec.linux!.namespaces[i].path = "/proc/\(child)/ns/mnt"
        b.spec.process!.args = ["sleep", "30"]
        try b.write()
        let c = try b.silo(["create", "--pid-file", b.dir + "/pid", "n1"])
        #expect(c.status == 0, "\(c)")
        let pid = (try? String(contentsOfFile: b.dir + "/pid", encoding: .utf8)) ?? ""
        #expect(!pid.isEmpty && Host.nsInode("mnt", pid: pid) == target, "\(c)")
    }

    /// A config without `process` (runtime-tools' `start`): create sets the container up and its
    /// init holds; `start` fails with the JSON path and leaves it stopped; `delete` without
    /// --force removes it. The held init cannot be made to run anything through exec.fifo
    /// either, and `run --bundle` refuses such a config before it makes anything.
    @Test func aConfigWithoutProcessIsCreatedButNeverStarted() throws {
        let b = try Bundle(script: "true")
        defer { try? b.destroy(["np1", "np2", "np3"]) }
        b.spec.process = nil
        b.spec.hostname = "noproc"
        try b.write()
        func status(_ id: String) throws -> String? {
            let r = try b.silo(["state", id])
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            return json?["status"] as? String
        }
        let c = try b.silo(["create", "np1"])
        #expect(c.status == 0, "\(c)")
        let pid = try #require(try b.record("np1")?.pid)
        #expect(Host.nsInode("mnt", pid: "\(pid)") != Host.nsInode("mnt"), "the init is in a mount namespace of its own")
        let hostname = try Silo.host("nsenter -u -t \(pid) hostname").stdout
        #expect(hostname == "noproc\n", "the container is set up: \(hostname)")
        #expect(try status("np1") == "created")
        let s = try b.silo(["start", "np1"])
        #expect(s.status == 1, "\(s)")
        #expect(s.stderr.hasPrefix("silo: config.json: .process: not set") && s.stderr.filter { $0 == "\n" }.count == 1, "\(s)")
        #expect(try status("np1") == "stopped")
        let again = try b.silo(["start", "np1"])
        #expect(again.status == 1 && again.stderr.contains("stopped"), "\(again)")
        let d = try b.silo(["delete", "np1"])
        #expect(d.status == 0, "\(d)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/np1"))

        // Whoever opens exec.fifo of such an init gets no byte: the init ends instead of going on.
        #expect(try b.silo(["create", "np3"]).status == 0)
        let read = try Silo.host("timeout 10 cat \(b.root)/np3/exec.fifo | wc -c")
        #expect(read.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(read)")
        usleep(100_000)
        #expect(try status("np3") == "stopped")
        #expect(try b.silo(["delete", "np3"]).status == 0)

        let r = try b.silo(["run", "--bundle", b.dir, "np2"])
        #expect(r.status == 1 && r.stderr == "silo: config.json: .process: required to run\n", "\(r)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/np2"))
    }

    /// A bundle in a 0700 directory of host root, with a user namespace whose root is not host
    /// root (runtime-tools makes its bundles so): the rootfs and the bind sources below it are
    /// opened by silo as host root before clone, so the container runs and mounts its /proc.
    @Test func aBundleInAnUnsearchableDirectoryRunsWithAMappedRoot() throws {
        let b = try Bundle(userNamespace: true, script: "{ cat /proc/self/uid_map; grep -c ' /proc .* - proc ' /proc/self/mountinfo; ls /out; echo END; } >/out/result")
        defer { try? b.destroy(["m1"]) }
        try Silo.host("chmod 700 \(b.dir) && chown 0:0 \(b.dir)").check()
        try Silo.host("echo seen >\(b.dir)/out/marker && chown 300000:300000 \(b.dir)/out/marker").check()
        let (r, seen) = try run(b, "m1")
        #expect(r.status == 0, "\(r)")
        let fields = seen.split(separator: "\n").first?.split(whereSeparator: { $0 == " " }).map(String.init) ?? []
        #expect(fields == ["0", "300000", "65536"], "the container's root is host uid 300000: \(seen)")
        #expect(seen.hasSuffix("\n1\nmarker\nresult\nEND\n"), "/proc mounted, the bind below the bundle reached: \(seen)")
    }

    /// The root directory itself not searchable by the container's root (the bundle as the
    /// root, 0700, host root's, a map of 0 -> 300000): refused at create by its JSON path,
    /// before anything is made, instead of failing inside at the first path.
    @Test func aRootTheMappedRootCannotSearchIsRefusedByName() throws {
        let b = try Bundle(userNamespace: true, script: "true")
        defer { try? b.destroy(["m2"]) }
        try Silo.host("chmod 700 \(b.dir)/rootfs && chown 0:0 \(b.dir)/rootfs").check()
        try b.write()
        let c = try b.silo(["create", "m2"])
        #expect(c.status == 1, "\(c)")
        #expect(c.stderr.hasPrefix("silo: config.json: .root.path: \(b.dir)/rootfs (mode 700, owner 0:0 on the host) is not searchable by the container's root (host uid 300000"), "\(c)")
        #expect(c.stderr.filter { $0 == "\n" }.count == 1, "one line: \(c)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/m2"), "no state left")
        // The same root with group search for a group the map holds is searchable: not refused.
        try Silo.host("chmod 750 \(b.dir)/rootfs && chgrp 300000 \(b.dir)/rootfs").check()
        b.spec.process!.args = ["true"]
        let (r, _) = try run(b, "m2")
        #expect(r.status == 0, "\(r)")
    }

    /// Two programs of runtime-tools silo fails on purpose (docs/oci.md, "Conformance"): `delete`
    /// without --force of a created container kills its init and removes it (containerd's shim
    /// deletes created containers so), and a config with mounts but no mount namespace
    /// (`linux_ns_itype`) is refused by name, since each mount would land in the host's namespace.
    @Test func deleteOfACreatedContainerAndNoMountNamespaceRefused() throws {
        let b = try Bundle(script: "sleep 30")
        defer { try? b.destroy(["dc1", "dc2"]) }
        try b.write()
        let c = try b.silo(["create", "dc1"])
        #expect(c.status == 0, "\(c)")
        let pid = try #require(try b.record("dc1")?.pid)
        let d = try b.silo(["delete", "dc1"])
        #expect(d.status == 0, "\(d)")
        let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        #expect(stat == nil || stat!.contains(") Z "), "the init has exited: \(stat ?? "")")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/dc1"))

        b.spec.linux!.namespaces = []
        b.spec.hostname = nil
        try b.write()
        let r = try b.silo(["create", "dc2"])
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr == "silo: config.json: .mounts: needs a mount namespace (.linux.namespaces has no \"mount\")\n", "\(r)")
        #expect(!FileManager.default.fileExists(atPath: b.root + "/dc2"))
    }
}
