import Foundation
import Testing

/// Malicious root file systems in the shape of CVE-2021-30465: symlinks that would lead silo's
/// own mkdirs and mounts (made before pivot_root, as container root with the host's paths in
/// view) out of the container or into the base rootfs. Each case runs on a throwaway copy of
/// the busybox rootfs and checks the container, the host and the copy afterwards.
@Suite(.serialized, .enabled(if: Host.canRunContainers))
struct AdversarialMountTests {
    /// A copy of the test rootfs under /tmp with extra links; removed by `remove()`.
    struct EvilRootfs {
        let dir: String
        let root: String
        let tag: String

        init(_ links: [String: String]) throws {
            tag = String(UUID().uuidString.prefix(8)).lowercased()
            dir = "/tmp/sec-mounts-\(tag)"
            root = dir + "/rootfs"
            var script = "set -e; mkdir -p \(dir); cp -a \(Silo.rootfs) \(root)"
            for (name, target) in links.sorted(by: { $0.key < $1.key }) {
                script += "; rm -rf \(root)/\(name); ln -s '\(target)' \(root)/\(name)"
            }
            let r = try Silo.host(script)
            #expect(r.status == 0, "\(r)")
        }

        /// Every name, type, mode, owner and size in the copy: "the base rootfs never changes".
        func listing() throws -> String {
            try Silo.host("cd \(root) && find . -printf '%p %y %m %u %g %s %l\\n' | sort").stdout
        }

        func remove() { _ = try? Silo.host("rm -rf \(dir)") }
    }

    /// Host paths a broken runtime would create: under /var/tmp (through the rootfs's link) and
    /// under /tmp/lower and /tmp/root (silo's old fixed staging paths, in the host's view).
    func hostLeftovers(_ tag: String) throws -> String {
        try Silo.host("ls -d /var/tmp/*\(tag)* /tmp/lower/*\(tag)* /tmp/root/*\(tag)* 2>/dev/null; true").stdout
    }

    /// (link target, where the mounts must then be inside the container)
    @Test(arguments: [
        ("/var/tmp", "/var/tmp"),                      // absolute link to a host directory
        ("../../../../../var/tmp", "/var/tmp"),        // relative link climbing above the root
        ("/tmp/lower/var/tmp", "/tmp/lower/var/tmp"),  // silo's old staging path: the base rootfs as host root
        ("/tmp/root/var/tmp", "/tmp/root/var/tmp"),    // the old new-root path
    ])
    func volumesTmpfsAndFileVolumesThroughALinkStayInside(target: String, inside: String) throws {
        let link = "x"
        let evil = try EvilRootfs([link: target])
        defer { evil.remove() }
        let tag = evil.tag
        let src = evil.dir + "/src"
        try Silo.host("mkdir -p \(src) && echo marker-\(tag) > \(src)/m && echo file-\(tag) > \(evil.dir)/file")
        let before = try evil.listing()
        let mountsBefore = Host.Snapshot.take()
        let r = try Silo.run(["run", "--rootfs", evil.root,
                              "-v", "\(src):/\(link)/sub-\(tag)", "-v", "\(evil.dir)/file:/\(link)/newfile-\(tag)",
                              "--tmpfs", "/\(link)/dir-\(tag)", "--",
                              "sh", "-c", "cat \(inside)/sub-\(tag)/m \(inside)/newfile-\(tag); grep -c ' \(inside)/dir-\(tag) ' /proc/self/mountinfo"])
        // (c) inside, each mount is where the link points within the rootfs: /var/tmp there
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "marker-\(tag)\nfile-\(tag)\n1\n", "\(r)")
        // (a) nothing appeared on the host; (b) the base rootfs is unchanged; (d) no mount left
        #expect(try hostLeftovers(tag) == "")
        #expect(try evil.listing() == before)
        #expect(Host.Snapshot.take().mounts == mountsBefore.mounts)
    }

    /// The same through a link to the root itself and a link chain, with `..` inside the rootfs.
    @Test func linkChainsAndDotDotResolveWithinTheRoot() throws {
        let evil = try EvilRootfs(["a": "b/../../../../c", "b": "/etc/..", "c": "/var/tmp"])
        defer { evil.remove() }
        let tag = evil.tag
        let before = try evil.listing()
        let r = try Silo.run(["run", "--rootfs", evil.root, "--tmpfs", "/a/t-\(tag)", "--",
                              "sh", "-c", "grep -c ' /var/tmp/t-\(tag) ' /proc/self/mountinfo"])
        #expect(r.status == 0 && r.stdout == "1\n", "\(r)")
        #expect(try hostLeftovers(tag) == "")
        #expect(try evil.listing() == before)
    }

    @Test func dotDotInAMountPathIsRefused() throws {
        let tag = String(UUID().uuidString.prefix(8)).lowercased()
        for args in [["--tmpfs", "/../../var/tmp/t-\(tag)"], ["-v", "/tmp:/../../var/tmp/v-\(tag)"],
                     ["--tmpfs", "/a/../../var/tmp/t-\(tag):size=1m"]] {
            let r = try Silo.container(args + ["--", "true"])
            #expect(r.status == 125 && r.stderr.contains(".."), "\(args): \(r)")
        }
        #expect(try hostLeftovers(tag) == "")
    }

    /// runc refuses these too: procfs or the device nodes would end up elsewhere.
    @Test(arguments: ["proc", "dev", "sys"])
    func aSymlinkedProcDevOrSysIsRefused(name: String) throws {
        let evil = try EvilRootfs([name: "/tmp"])
        defer { evil.remove() }
        let r = try Silo.run(["run", "--rootfs", evil.root, "--", "true"])
        #expect(r.status == 125, "\(r)")
        #expect(r.stderr.contains("/\(name) is a symlink"), "\(r)")
    }

    @Test func volumeOntoTheRootAndFileOntoDirectoryNameTheOption() throws {
        let root = try Silo.container(["-v", "/tmp:/", "--", "true"])
        #expect(root.status == 125 && root.stderr.contains("volume /tmp:/") && root.stderr.contains("root"), "\(root)")
        let slashdot = try Silo.container(["--tmpfs", "//.", "--", "true"])
        #expect(slashdot.status == 125 && slashdot.stderr.contains("tmpfs"), "\(slashdot)")
        let file = try Silo.container(["-v", "/etc/hostname:/etc", "--", "true"])
        #expect(file.status == 125, "\(file)")
        #expect(file.stderr.contains("-v FILE:/etc: the source is a file but /etc in the rootfs is a directory"), "\(file)")
    }

    /// The overlay's lower layer is a read-only mount: even the container's root, with every
    /// capability and no seccomp, cannot remount or write through it to the base rootfs.
    @Test func theBaseRootfsStaysUnchangedUnderAFullyLoosenedContainer() throws {
        let evil = try EvilRootfs([:])
        defer { evil.remove() }
        let before = try evil.listing()
        let r = try Silo.run(["run", "--rootfs", evil.root, "--cap-add", "ALL", "--seccomp", "unconfined", "--",
                              "sh", "-c", "mkdir /newdir && echo x > /bin/busybox2 && rm /bin/sh; echo done"])
        #expect(r.status == 0 && r.stdout == "done\n", "\(r)")
        #expect(try evil.listing() == before)
    }

    @Test func theWritableLayerAndTmpfsMountsHaveASize() throws {
        let r = try Silo.container(["--tmpfs", "/t", "--tmpfs", "/u:size=2m", "--",
                                    "sh", "-c", "df -k / /t /u | awk 'NR>1 {print $2}'"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "\(1024 * 1024)\n\(256 * 1024)\n2048\n", "\(r)")
        let small = try Silo.container(["--rootfs-size", "4m", "--",
                                        "sh", "-c", "dd if=/dev/zero of=/big bs=1M count=8 2>&1; df -k / | awk 'NR>1 {print $2}'"])
        #expect(small.status == 0 && small.stdout.contains("No space left on device") && small.stdout.hasSuffix("4096\n"), "\(small)")
        let bad = try Silo.container(["--rootfs-size", "lots", "--", "true"])
        #expect(bad.status == 125 && bad.stderr.contains("rootfs-size"), "\(bad)")
    }

    /// docs/security.md: the /proc masks stand in a default container; with both layers
    /// loosened (every capability, no seccomp) container root can unmount them, as documented.
    @Test func procMasksStandByDefaultAndComeOffOnlyWhenBothLayersAreLoosened() throws {
        let script = "umount /proc/interrupts 2>/dev/null; echo $?; wc -c < /proc/interrupts"
        let d = try Silo.container(["--", "sh", "-c", script])
        #expect(d.status == 0 && d.stdout.hasPrefix("1\n0\n"), "\(d)")
        for loosened in [["--cap-add", "ALL"], ["--seccomp", "unconfined"]] {
            let r = try Silo.container(loosened + ["--", "sh", "-c", script])
            #expect(r.status == 0 && r.stdout.hasPrefix("1\n0\n"), "\(loosened): \(r)")
        }
        let both = try Silo.container(["--cap-add", "ALL", "--seccomp", "unconfined", "--", "sh", "-c", script])
        #expect(both.status == 0 && both.stdout.hasPrefix("0\n") && !both.stdout.hasPrefix("0\n0\n"), "\(both)")
    }
}
