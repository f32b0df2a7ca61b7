import Foundation
import SiloKit
import SiloSpec
import SiloSys
import Testing

enum NetClsHost {
    /// /proc/cgroups column 2 for each controller.
    static func hierarchies() -> [String: Int] {
        let text = (try? String(contentsOfFile: "/proc/cgroups", encoding: .utf8)) ?? ""
        var out: [String: Int] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if f.count >= 2, let h = Int(f[1]) { out[String(f[0])] = h }
        }
        return out
    }

    static let unbound: Bool = hierarchies()["net_cls"] == 0 && hierarchies()["net_prio"] == 0
}

/// linux.resources.network against the real kernel. This host mounts no net_cls/net_prio
/// hierarchy (most systemd hosts do): the test makes one in a private mount namespace, in a
/// fresh tmpfs over /sys/fs/cgroup that also binds every hierarchy the host has (nothing is made
/// on the host's tree), runs a bundle through create/start/update/delete there, and checks what
/// the kernel holds and that the hierarchy is gone again afterwards. hugetlb is left to the fake
/// kernel (BundleNetHugetlbTests): mounting it as v1 takes it out of the unified hierarchy for
/// the whole machine while other suites run.
@Suite(.serialized, .enabled(if: Host.canRunContainers, "needs real root and the busybox rootfs"))
struct OCINetClsTests {
    typealias Bundle = OCILifecycleTests.Bundle

    /// A fresh tmpfs over /sys/fs/cgroup (in the caller's private mount namespace) holding binds of
    /// every hierarchy mounted there plus a new net_cls,net_prio one, aliased as systemd does.
    static let mountNetCls = """
        st=$B/cgstage; mkdir -p $st && mount -t tmpfs -o mode=755,size=64k tmpfs $st || exit 2
        for e in /sys/fs/cgroup/*; do n=${e##*/}
          if [ -L "$e" ]; then cp -P "$e" "$st/$n"; elif mountpoint -q "$e"; then mkdir "$st/$n" && mount --bind "$e" "$st/$n" || exit 2; fi
        done
        mkdir "$st/net_cls,net_prio" && mount -t cgroup -o net_cls,net_prio cgroup "$st/net_cls,net_prio" || exit 2
        ln -s net_cls,net_prio $st/net_cls && ln -s net_cls,net_prio $st/net_prio
        umount -R /sys/fs/cgroup && mount --move $st /sys/fs/cgroup && rmdir $st || exit 2
        """

    @Test(.enabled(if: NetClsHost.unbound, "a net_cls/net_prio hierarchy is in use (/proc/cgroups hierarchy not 0): the host could not be checked afterwards"))
    func classIDAndPrioritiesReachTheKernelUpdateChangesThemAndDeleteRemovesTheCgroup() throws {
        let inside = "{ cat /sys/fs/cgroup/net_cls/net_cls.classid; grep '^lo ' /sys/fs/cgroup/net_prio/net_prio.ifpriomap; "
            + "grep ' /sys/fs/cgroup/net_cls,net_prio ' /proc/mounts; readlink /sys/fs/cgroup/net_prio; "
            + "echo 9 > /sys/fs/cgroup/net_cls/net_cls.classid || echo readonly; echo END; } >/out/result 2>&1; sleep 30"
        let b = try Bundle(script: inside)
        let name = "silo-ocinet-" + UUID().uuidString.prefix(8).lowercased()
        defer { try? b.destroy(["n1"]) }
        if !b.spec.linux!.namespaces.contains(where: { $0.type == .cgroup }) { b.spec.linux!.namespaces.append(OCISpec.Namespace(.cgroup)) }
        b.spec.mounts.removeAll { $0.type == "cgroup" }
        b.spec.mounts.append(OCISpec.Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["ro", "nosuid"]))
        // A level above the container's own: delete removes what create made, parent included.
        b.spec.linux!.cgroupsPath = "/\(name)/c"
        var res = OCISpec.Resources()
        var net = OCISpec.Network()
        net.classID = 0x10_0001
        net.priorities = [OCISpec.InterfacePriority(name: "lo", priority: 7)]
        res.network = net
        b.spec.linux!.resources = res
        try b.write()
        try #"{"network": {"classID": 255, "priorities": [{"name": "lo", "priority": 3}]}}"#.write(toFile: b.dir + "/res.json", atomically: true, encoding: .utf8)

        let silo = "'\(Silo.binary)' --root '\(b.root)'"
        let cls = "/sys/fs/cgroup/net_cls/\(name)/c/net_cls.classid", prio = "/sys/fs/cgroup/net_prio/\(name)/c/net_prio.ifpriomap"
        let script = "B=\(b.dir)\n" + Self.mountNetCls + """

            cd $B
            \(silo) create --pid-file $B/pid n1 >$B/create.out 2>&1; echo "create=$?"
            echo "classid=$(cat \(cls))"; echo "prio=$(grep '^lo ' \(prio))"
            echo "procs=$(cat /sys/fs/cgroup/net_cls/\(name)/c/cgroup.procs | tr '\\n' ' ')"; echo "pid=$(cat $B/pid)"
            \(silo) start n1; echo "start=$?"
            for i in $(seq 200); do grep -q END $B/out/result 2>/dev/null && break; sleep 0.05; done
            \(silo) update --resources $B/res.json n1; echo "update=$?"
            echo "classid2=$(cat \(cls))"; echo "prio2=$(grep '^lo ' \(prio))"
            \(silo) delete --force n1; echo "delete=$?"
            for h in /sys/fs/cgroup/*/; do [ -e ${h}\(name) ] && echo "left=${h}\(name)"; done
            # A removed cgroup lingers (dying) for a moment: unmounted before it is gone, the
            # hierarchy would outlive the namespace.
            for i in $(seq 100); do awk '$1 == "net_cls" && $3 == 1 {f = 1} END {exit !f}' /proc/cgroups && break; sleep 0.05; done
            echo "END"
            """
        try script.write(toFile: b.dir + "/ns.sh", atomically: true, encoding: .utf8)
        let hostTree = try FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup").sorted()
        let unified = try? String(contentsOfFile: "/sys/fs/cgroup/unified/cgroup.controllers", encoding: .utf8)
        let r = try Silo.host("unshare -m --propagation private sh \(b.dir)/ns.sh 2>&1", timeout: 60)
        var kv: [String: String] = [:]
        for line in r.stdout.split(separator: "\n") {
            if let eq = line.firstIndex(of: "=") { kv[String(line[..<eq])] = String(line[line.index(after: eq)...]) }
        }
        let created = (try? String(contentsOfFile: b.dir + "/create.out", encoding: .utf8)) ?? ""
        #expect(kv["create"] == "0", "\(r.stdout)\n\(created)")
        #expect(kv["classid"] == "\(0x10_0001)" && kv["prio"] == "lo 7", "\(r.stdout)")
        #expect(kv["procs"]?.split(separator: " ").contains { $0 == kv["pid"] ?? "-" } == true, "the init is in its net_cls cgroup: \(r.stdout)")
        #expect(kv["start"] == "0" && kv["update"] == "0", "\(r.stdout)")
        #expect(kv["classid2"] == "255" && kv["prio2"] == "lo 3", "\(r.stdout)")
        #expect(kv["delete"] == "0" && kv["left"] == nil, "\(r.stdout)")
        #expect(r.stdout.hasSuffix("END\n"), "\(r.stdout)")

        // Inside: its own cgroup, read-only, with systemd's aliases.
        let seen = (try? String(contentsOfFile: b.out + "/result", encoding: .utf8)) ?? ""
        let lines = seen.split(separator: "\n").map(String.init)
        #expect(lines.first == "\(0x10_0001)" && lines.contains("lo 7"), "\(seen)")
        #expect(lines.contains { $0.contains(" /sys/fs/cgroup/net_cls,net_prio cgroup ro,") } && lines.contains("net_cls,net_prio"), "\(seen)")
        #expect(lines.contains("readonly"), "\(seen)")

        // The host: its tree as it was, and the hierarchy destroyed once the namespace ended.
        var h = NetClsHost.hierarchies()
        for _ in 0..<50 where h["net_cls"] != 0 {
            usleep(100_000)
            h = NetClsHost.hierarchies()
        }
        #expect(h["net_cls"] == 0 && h["net_prio"] == 0, "the net_cls,net_prio hierarchy outlived the test: \(h)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup").sorted() == hostTree)
        #expect((try? String(contentsOfFile: "/sys/fs/cgroup/unified/cgroup.controllers", encoding: .utf8)) == unified)
    }

    /// Without the hierarchy (this host as it is), create refuses by JSON path, naming it, and
    /// makes no cgroup.
    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/sys/fs/cgroup/net_cls"), "the host mounts net_cls"))
    func withoutTheHierarchyCreateRefusesNamingIt() throws {
        let b = try Bundle(script: "true")
        let name = "silo-ocinet-" + UUID().uuidString.prefix(8).lowercased()
        defer { try? b.destroy(["n2"]) }
        b.spec.linux!.cgroupsPath = "/" + name
        var res = OCISpec.Resources()
        var net = OCISpec.Network()
        net.classID = 1
        res.network = net
        b.spec.linux!.resources = res
        try b.write()
        let c = try b.silo(["create", "n2"])
        #expect(c.status != 0)
        #expect(c.stderr == "silo: config.json: .linux.resources.network.classID: no net_cls cgroup v1 hierarchy is mounted under /sys/fs/cgroup\n", "\(c)")
        for h in ["pids", "memory", "freezer", "cpu", "devices", "unified"] {
            #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/\(h)/\(name)"), "\(h) cgroup left")
        }
    }
}
