import Foundation
import Testing

/// A throwaway copy of the busybox rootfs under /tmp, for rootfs shapes a test must not put into
/// the shared one; removed with everything the test put next to it.
final class RootfsCopy {
    let dir: TempDir
    var path: String { dir.path + "/rootfs" }

    init() throws {
        dir = try TempDir()
        chmod(dir.path, 0o755)
        let r = try Silo.host("cp -a '\(Silo.rootfs)' '\(dir.path)/rootfs'")
        guard r.status == 0 else { throw TestFailure("cp -a: \(r)") }
    }

    func shell(_ script: String) throws {
        let r = try Silo.host("cd '\(path)' && \(script)")
        guard r.status == 0 else { throw TestFailure("\(script): \(r)") }
    }

    func run(_ args: [String], timeout: Double = 20) throws -> Silo.Result {
        try Silo.run(["run", "--rootfs", path] + args, timeout: timeout)
    }
}

/// Issue 18 items 1, 3, 4, 10, 13: ids the maps do not hold, a hostile rootfs's passwd and
/// group files, id slots across network namespaces, -w spellings, id map messages. Each test
/// checks from inside the container what the kernel did, and the host afterwards.
@Suite(.serialized, .enabled(if: Host.canRunContainers, "needs real root and the busybox rootfs"))
struct AdversarialUserTests {
    /// Runs `body`, then checks that the host has the mounts and children it had before.
    func checkingHost(_ body: () throws -> Void) throws {
        let before = Host.Snapshot.take()
        try body()
        let after = Host.Snapshot.take()
        #expect(after.mounts == before.mounts, "mounts left behind (or another helper's test ran meanwhile)")
        #expect(after.children.isEmpty, "processes left behind: \(after.children)")
    }

    // MARK: item 1, --user ids outside the maps

    @Test(arguments: [
        (["--user", "4294967295"], "--user 4294967295: uid 4294967295 is not mapped in the container"),
        (["--user", "1000:4294967295"], "--user 1000:4294967295: gid 4294967295 is not mapped in the container"),
        (["--user", "0:4294967295"], "--user 0:4294967295: gid 4294967295 is not mapped in the container"),
        (["--user", "4294967294"], "--user 4294967294: uid 4294967294 is not mapped in the container"),
        (["--user", "65536:0"], "--user 65536:0: uid 65536 is not mapped in the container"),
        (["--user", "0:65536"], "--user 0:65536: gid 65536 is not mapped in the container"),
        (["--uid-map", "0:300000:1000", "--gid-map", "0:300000:1000", "--user", "1000"],
         "--user 1000: uid 1000 is not mapped in the container (uid map: 0:300000:1000)"),
    ])
    func anIdOutsideTheMapsIsRefusedAndNothingRuns(_ args: [String], _ message: String) throws {
        try checkingHost {
            let r = try Silo.container(args + ["--", "sh", "-c", "id -u; id -g; grep CapEff /proc/self/status"])
            #expect(r.status == 125 && r.stdout.isEmpty, "\(r)")
            #expect(r.stderr.hasPrefix("silo: " + message), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
    }

    @Test func groupNamesFromTheRootfsOutsideTheMapAreRefused() throws {
        let rootfs = try RootfsCopy()
        try rootfs.shell("echo 'evil:x:4294967295:' >> etc/group && echo 'big:x:70000:user' >> etc/group")
        try checkingHost {
            let byName = try rootfs.run(["--user", "1000:evil", "--", "id"])
            #expect(byName.status == 125 && byName.stderr.contains("--user 1000:evil: gid 4294967295 is not mapped"), "\(byName)")
            // `user` is in group big (70000): setgroups would hand the process an unmapped id.
            let supplementary = try rootfs.run(["--user", "user", "--", "id"])
            #expect(supplementary.status == 125 && supplementary.stderr.contains("--user user: supplementary group 70000 is not mapped"),
                    "\(supplementary)")
        }
    }

    @Test func idsInsideTheMapStillWork() throws {
        try checkingHost {
            let r = try Silo.container(["--user", "65535:65534", "--", "sh", "-c", "id -u; id -g; grep CapEff /proc/self/status"])
            #expect(r.stdout == "65535\n65534\nCapEff:\t0000000000000000\n", "\(r)")
            let root = try Silo.container(["--user", "0:0", "--", "id", "-u"])
            #expect(root.stdout == "0\n", "\(root)")
        }
    }

    // MARK: item 13, id map messages

    @Test(arguments: [
        (["--uid-map", "0:1:4294967295"], "silo: --uid-map 0:1:4294967295: host ids 1+4294967295 run past 4294967294"),
        (["--gid-map", "0:4294967295:1"], "silo: --gid-map 0:4294967295:1: host ids 4294967295+1 run past 4294967294"),
        (["--uid-map", "0:300000:0"], "silo: --uid-map 0:300000:0: SIZE must be at least 1"),
        (["--uid-map", "0:300000:10", "--uid-map", "5:400000:10"], "silo: --uid-map: 0:300000:10 and 5:400000:10 overlap in container ids"),
        (["--uid-map", "1:300000:10"], "silo: --uid-map 1:300000:10: container id 0 must be mapped"),
    ])
    func aBadIdMapIsNamedInTheUsersTerms(_ args: [String], _ message: String) throws {
        try checkingHost {
            let r = try Silo.container(args + ["--", "true"])
            #expect(r.status == 125 && r.stderr.hasPrefix(message), "\(r)")
        }
    }

    // MARK: item 3, the rootfs's /etc/passwd and /etc/group

    @Test func anAbsoluteLinkToAHostFileIsResolvedInsideTheRootfs() throws {
        let rootfs = try RootfsCopy()
        // A host file in passwd format, reachable only through the host's path resolution.
        let hostFile = rootfs.dir.path + "/host-secret"
        try "root:x:4242:4242:leaked:/leaked:/bin/sh\n".write(toFile: hostFile, atomically: true, encoding: .utf8)
        try rootfs.shell("ln -sf '\(hostFile)' etc/passwd && ln -sf ../../../../../../../..'\(hostFile)' etc/group")
        try checkingHost {
            let r = try rootfs.run(["--user", "root", "--", "sh", "-c", "id -u; echo $HOME"])
            #expect(!r.stdout.contains("4242") && !r.stdout.contains("leaked"), "host file read: \(r)")
            #expect(r.status == 125 && r.stderr.contains("user root: no such user in the rootfs's /etc/passwd"), "\(r)")
            // The relative link climbs out of the rootfs only on the host; inside it stops at /.
            let g = try rootfs.run(["--user", "0:root", "--", "id", "-g"])
            #expect(g.status == 125 && g.stderr.contains("group root: no such group"), "\(g)")
        }
    }

    @Test func aLinkInsideTheRootfsIsFollowedThere() throws {
        let rootfs = try RootfsCopy()
        try rootfs.shell("mv etc/passwd etc/passwd.real && ln -s /etc/passwd.real etc/passwd")
        try checkingHost {
            let r = try rootfs.run(["--user", "user", "--", "sh", "-c", "id -u; echo $HOME"])
            #expect(r.stdout == "1000\n/home/user\n", "\(r)")
        }
    }

    @Test func aFIFOIsRefusedWithoutHangingSilo() throws {
        let rootfs = try RootfsCopy()
        try rootfs.shell("rm etc/passwd && mkfifo etc/passwd")
        try checkingHost {
            let start = Date()
            let r = try rootfs.run(["--user", "root", "--", "true"], timeout: 10)
            #expect(Date().timeIntervalSince(start) < 5)
            #expect(r.status == 125 && r.stderr == "silo: --user root: rootfs \(rootfs.path)/etc/passwd: not a regular file (a FIFO)\n", "\(r)")
        }
    }

    @Test func aDeviceNodeIsRefusedUnopened() throws {
        let rootfs = try RootfsCopy()
        try rootfs.shell("rm etc/group && mknod etc/group c 1 3")  // /dev/null's numbers
        try checkingHost {
            let r = try rootfs.run(["--user", "1000", "--", "true"])
            #expect(r.status == 125 && r.stderr.contains("etc/group: not a regular file (a character device)"), "\(r)")
        }
    }

    @Test func anOversizedFileIsRefusedNotCut() throws {
        let rootfs = try RootfsCopy()
        // 5 MiB of comment lines, then the entry: a reader that stops early never finds it.
        try rootfs.shell("head -c 5242880 /dev/zero | tr '\\0' '#' | fold -w 79 > etc/group.big && echo 'late:x:4321:' >> etc/group.big && mv etc/group.big etc/group")
        try checkingHost {
            let r = try rootfs.run(["--user", "1000:late", "--", "id", "-g"])
            #expect(r.status == 125 && r.stderr == "silo: --user 1000:late: rootfs \(rootfs.path)/etc/group: larger than 4 MiB\n", "\(r)")
        }
    }

    @Test func aMissingPasswdBehavesAsBefore() throws {
        let rootfs = try RootfsCopy()
        try rootfs.shell("rm etc/passwd etc/group")
        try checkingHost {
            let r = try rootfs.run(["--user", "1000:1000", "--", "sh", "-c", "id -u; id -g; echo $HOME"])
            #expect(r.stdout == "1000\n1000\n/\n", "\(r)")
            let named = try rootfs.run(["--user", "user", "--", "true"])
            #expect(named.status == 125 && named.stderr.contains("no such user"), "\(named)")
        }
    }

    // MARK: item 10, -w spellings

    @Test(arguments: [
        ("/etc/", "/etc"), ("//etc", "/etc"), ("/etc/./", "/etc"), ("/etc/../srv", "/srv"), ("/etclink", "/etc"),
        ("/etclink/", "/etc"), ("/rel", "/etc"), ("/srv/up", "/etc"), ("/new/dir/", "/new/dir"),
    ])
    func aWorkdirThroughLinksOrOddSpellingsLandsWhereTheKernelSays(_ workdir: String, _ expected: String) throws {
        let rootfs = try RootfsCopy()
        try rootfs.shell("ln -s /etc etclink && ln -s etc rel && ln -s ../etc srv/up")
        try checkingHost {
            let r = try rootfs.run(["-w", workdir, "--", "sh", "-c", "pwd -P; readlink /proc/self/cwd"])
            #expect(r.status == 0 && r.stdout == "\(expected)\n\(expected)\n", "\(r)")
        }
    }

    @Test func aWorkdirOutsideTheRootIsStillRefused() throws {
        // The child's fds before exec include detached mounts of the host (the rootfs tree):
        // a chdir through /proc/self/fd/N must never leave the command there (CVE-2024-21626).
        try checkingHost {
            for n in 3...9 {
                let r = try Silo.container(["-w", "/proc/self/fd/\(n)", "--", "sh", "-c", "pwd -P; ls"])
                #expect(r.status == 125 && r.stdout.isEmpty, "-w /proc/self/fd/\(n): \(r)")
            }
        }
    }

    // MARK: item 4, id slots across network namespaces

    @Test func containersInDifferentNetworkNamespacesGetDifferentHostRanges() throws {
        let name = "silo-t-ids-\(NetTest.token())"
        #expect(try Silo.run(["netns", "add", name]).status == 0)
        defer {
            _ = try? Silo.run(["netns", "delete", name])
            #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(name)"), "netns \(name) left behind")
        }
        try checkingHost {
            let script = "head -1 /proc/self/uid_map; head -1 /proc/self/gid_map; echo ready; exec sleep 60"
            let plain = try Background(["run", "--rootfs", Silo.rootfs, "--", "sh", "-c", script])
            let inNetns = try Background(["netns", "exec", name, Silo.binary, "run", "--rootfs", Silo.rootfs, "--", "sh", "-c", script])
            defer {
                for p in [plain, inNetns] {
                    kill(p.process.processIdentifier, SIGKILL)
                    _ = p.wait()
                }
            }
            try plain.waitFor("ready")
            try inNetns.waitFor("ready")
            func hostStarts(_ text: String) -> [String] {
                text.split(separator: "\n").prefix(2).map { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? "" }
            }
            let a = hostStarts(plain.output), b = hostStarts(inNetns.output)
            #expect(a.count == 2 && b.count == 2 && !a[0].isEmpty && !b[0].isEmpty, "\(plain.output) | \(inNetns.output)")
            #expect(a[0] != b[0], "both containers got host uid range \(a[0])")
            #expect(a[1] != b[1], "both containers got host gid range \(a[1])")
        }
    }
}
