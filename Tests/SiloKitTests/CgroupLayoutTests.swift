import Testing

@testable import SiloKit

/// /proc/self/cgroup and /proc/self/mountinfo as read on hosts of each kind.
enum CgroupSamples {
    /// This machine: v1 controllers, name=systemd, and a cgroup2 at unified holding hugetlb only;
    /// the caller sits in a nested memory cgroup.
    static let hybridCgroup = """
    9:name=systemd:/
    8:pids:/
    7:blkio:/
    6:freezer:/
    5:devices:/
    4:memory:/process_api/abc
    3:cpuset:/
    2:cpuacct:/
    1:cpu:/
    0::/

    """

    static func hybridMountinfo(_ r: String) -> String {
        """
        23 1 0:21 / /sys rw,nosuid - sysfs sysfs rw
        31 23 0:28 / \(r) rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / \(r)/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / \(r)/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        34 31 0:31 / \(r)/cpuset rw,relatime - cgroup cgroup rw,cpuset
        35 31 0:32 / \(r)/memory rw,relatime - cgroup cgroup rw,memory
        36 31 0:33 / \(r)/devices rw,relatime - cgroup cgroup rw,devices
        37 31 0:34 / \(r)/freezer rw,relatime - cgroup cgroup rw,freezer
        38 31 0:35 / \(r)/blkio rw,relatime - cgroup cgroup rw,blkio
        39 31 0:36 / \(r)/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / \(r)/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / \(r)/unified rw,relatime - cgroup2 cgroup2 rw

        """
    }

    /// Debian 12 / systemd's classic v1 with cpu and cpuacct co-mounted.
    static let comountedCgroup = "4:cpu,cpuacct:/user.slice\n3:memory:/user.slice/s.scope\n1:name=systemd:/user.slice/s.scope\n"
    static let comountedMountinfo = """
    30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
    31 30 0:27 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd
    35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct
    36 30 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,memory
    """

    static let v2Cgroup = "0::/user.slice/user-1000.slice/session-2.scope\n"
    static let v2Mountinfo = "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
}

@Suite struct CgroupLayoutTests {
    @Test func hybridOfThisMachine() throws {
        let l = try CgroupLayout.parse(cgroup: CgroupSamples.hybridCgroup, mountinfo: CgroupSamples.hybridMountinfo("/sys/fs/cgroup"))
        #expect(l.kind == .hybrid)
        #expect(l.hierarchies.count == 10)
        #expect(l.hierarchy(for: "memory")?.ownDirectory == "/sys/fs/cgroup/memory/process_api/abc")
        #expect(l.hierarchy(for: "pids")?.ownDirectory == "/sys/fs/cgroup/pids")
        #expect(l.hierarchy(for: "cpuacct")?.mountPoint == "/sys/fs/cgroup/cpuacct")
        #expect(l.hierarchies.first { $0.controllers == ["name=systemd"] }?.mountPoint == "/sys/fs/cgroup/systemd")
        #expect(l.unified?.mountPoint == "/sys/fs/cgroup/unified")
        // After parse alone the unified mount lists no controllers: `pids` must not resolve to it.
        #expect(l.hierarchy(for: "hugetlb") == nil)
    }

    @Test func comountedV1() throws {
        let l = try CgroupLayout.parse(cgroup: CgroupSamples.comountedCgroup, mountinfo: CgroupSamples.comountedMountinfo)
        #expect(l.kind == .v1)
        let cpu = try #require(l.hierarchy(for: "cpuacct"))
        #expect(cpu.controllers == ["cpu", "cpuacct"])
        #expect(cpu.key == "cpu,cpuacct")
        #expect(cpu.ownDirectory == "/sys/fs/cgroup/cpu,cpuacct/user.slice")
        #expect(l.hierarchy(for: "memory")?.ownDirectory == "/sys/fs/cgroup/memory/user.slice/s.scope")
        #expect(l.hierarchy(for: "pids") == nil)
    }

    @Test func pureV2() throws {
        let l = try CgroupLayout.parse(cgroup: CgroupSamples.v2Cgroup, mountinfo: CgroupSamples.v2Mountinfo)
        #expect(l.kind == .v2)
        #expect(l.hierarchies.count == 1)
        #expect(l.unified?.ownDirectory == "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope")
    }

    @Test func insideACgroupNamespaceMount() throws {
        // A mount whose root is the caller's own cgroup (a container's view): the own directory is the mount point.
        let mi = "29 23 0:26 /silo-x /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
        let l = try CgroupLayout.parse(cgroup: "0::/silo-x/sub\n", mountinfo: mi)
        #expect(l.unified?.ownDirectory == "/sys/fs/cgroup/sub")
        let esc = "29 23 0:26 / /tmp/a\\040b rw - cgroup2 cgroup2 rw\n"
        #expect(try CgroupLayout.parse(cgroup: "0::/\n", mountinfo: esc, root: "/tmp/a b").unified?.mountPoint == "/tmp/a b")
    }

    @Test func otherRootsIgnored() throws {
        // A cgroup2 mounted elsewhere (a container's rootfs under construction) is not the host's.
        let mi = CgroupSamples.v2Mountinfo + "90 23 0:26 / /run/silo/x/sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
        #expect(try CgroupLayout.parse(cgroup: CgroupSamples.v2Cgroup, mountinfo: mi).hierarchies.count == 1)
    }

    @Test func errors() {
        #expect(throws: CgroupError("/proc/self/cgroup: malformed line `nonsense`")) {
            try CgroupLayout.parse(cgroup: "nonsense\n", mountinfo: CgroupSamples.v2Mountinfo)
        }
        #expect(throws: CgroupError("/proc/self/mountinfo: malformed line `1 2 3`")) {
            try CgroupLayout.parse(cgroup: CgroupSamples.v2Cgroup, mountinfo: "1 2 3\n")
        }
        #expect(throws: CgroupError("cgroups: no cgroup file system mounted at /sys/fs/cgroup")) {
            try CgroupLayout.parse(cgroup: CgroupSamples.v2Cgroup, mountinfo: "23 1 0:21 / /sys rw - sysfs sysfs rw\n")
        }
    }
}
