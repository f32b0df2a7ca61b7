import Testing
@testable import SiloSpec

@Suite struct OCISpecParseTests {
    @Test func runcSpecParses() throws {
        let s = try OCISpec.parse(Fixtures.runcSpec)
        #expect(s.ociVersion == "1.0.2-dev")
        let p = try #require(s.process)
        #expect(p.terminal && p.args == ["sh"] && p.cwd == "/" && p.noNewPrivileges)
        #expect(p.user.uid == 0 && p.user.gid == 0 && p.user.umask == nil)
        #expect(p.capabilities?.bounding == ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
        #expect(p.capabilities?.inheritable == nil)
        #expect(p.rlimits == [OCISpec.Rlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)])
        #expect(p.oomScoreAdj == nil)
        #expect(s.root == OCISpec.Root(path: "rootfs", readonly: true))
        #expect(s.hostname == "runc")
        #expect(s.mounts.map(\.destination) == ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"])
        #expect(s.mounts[0].options == [] && s.mounts[2].options.last == "gid=5")
        let l = try #require(s.linux)
        #expect(l.namespaces.map(\.type) == [.pid, .network, .ipc, .uts, .mount])
        #expect(l.namespaces.allSatisfy { $0.path == nil })
        #expect(l.resources?.devices == [OCISpec.DeviceRule(allow: false, access: "rwm")])
        #expect(l.maskedPaths.count == 10 && l.readonlyPaths.count == 5)
        #expect(s.hooks.isEmpty && s.annotations.isEmpty)
    }

    @Test func rootfsIsRelativeToTheBundle() throws {
        #expect(try OCISpec.parse(Fixtures.runcSpec).rootfs(bundle: "/b/c1") == "/b/c1/rootfs")
        #expect(try OCISpec.parse(Fixtures.runcSpec).rootfs(bundle: "/") == "/rootfs")
        #expect(try OCISpec.parse(Fixtures.podman).rootfs(bundle: "/b") == "/var/lib/containers/storage/overlay/1c3f6e1b/merged")
        #expect(OCISpec().rootfs(bundle: "/b") == nil)
    }

    @Test func runcRootlessSpecParses() throws {
        let s = try OCISpec.parse(Fixtures.runcSpecRootless)
        let l = try #require(s.linux)
        #expect(l.namespace(.user) != nil && l.namespace(.network) == nil)
        #expect(l.uidMappings == [OCISpec.IDMapping(containerID: 0, hostID: 0, size: 1)])
        #expect(l.gidMappings == l.uidMappings)
        #expect(l.resources == nil)
        #expect(s.mounts[5] == OCISpec.Mount(destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"]))
    }

    @Test func crunSpecParses() throws {
        let s = try OCISpec.parse(Fixtures.crunSpec)
        #expect(s.hostname == "crun")
        // crun writes an empty inheritable set: given and empty, not absent.
        #expect(s.process?.capabilities?.inheritable == [])
    }

    @Test func podmanConfigParses() throws {
        var warnings: [OCIError] = []
        let s = try OCISpec.parse(Array(Fixtures.podman.utf8), warnings: &warnings)
        #expect(s.ociVersion == "1.1.0+dev")
        let p = try #require(s.process)
        #expect(p.user.umask == 0o22 && p.user.additionalGids.count == 11)
        #expect(p.oomScoreAdj == 0)
        #expect(p.rlimits.map(\.type) == ["RLIMIT_NOFILE", "RLIMIT_NPROC"])
        #expect(s.root == OCISpec.Root(path: "/var/lib/containers/storage/overlay/1c3f6e1b/merged"))
        let run = try #require(s.mounts.first { $0.destination == "/run" })
        #expect(run.type == "tmpfs" && run.options.contains("tmpcopyup"))
        #expect(s.mounts.last?.type == "cgroup")
        #expect(s.hooks.createRuntime == [OCISpec.Hook(path: "/usr/libexec/podman/netavark-hook", args: ["netavark-hook", "create"],
                                                       env: ["PATH=/usr/bin"], timeout: 10)])
        #expect(s.hooks.poststop.count == 1)
        #expect(s.annotations["io.container.manager"] == "libpod")
        let l = try #require(s.linux)
        #expect(l.resources?.devices == [OCISpec.DeviceRule(allow: false, access: "rwm")])
        #expect(l.devices.isEmpty)
        #expect(l.resources?.pids == OCISpec.Pids(limit: 2048))
        #expect(l.namespace(.network)?.path == "/run/netns/netns-6a2b")
        #expect(l.sysctl == ["net.ipv4.ping_group_range": "0 0"])
        #expect(l.cgroupsPath == "/libpod_parent/libpod-3b1f0c9d2e7a")
        let sc = try #require(l.seccomp)
        #expect(sc.defaultAction == "SCMP_ACT_ERRNO" && sc.defaultErrnoRet == 38)
        #expect(sc.syscalls[0].errnoRet == 1 && sc.syscalls[0].names.count == 28)
        #expect(sc.syscalls[3].args == [OCISpec.SeccompArg(index: 0, value: 2114060288, op: "SCMP_CMP_MASKED_EQ")])
        #expect(warnings.map(\.description) == [
            #"config.json: .process.apparmorProfile: AppArmor is not supported by silo; profile "containers-default-0.50.0" is not applied"#,
        ])
    }

    @Test func unknownFieldsAreIgnored() throws {
        let text = #"""
        {"ociVersion": "1.1.0", "x-extension": {"deep": [1]}, "root": {"path": "r", "future": true},
         "process": {"args": ["a"], "cwd": "/", "commandLine": "windows only", "user": {"uid": 5, "username": "w"}},
         "linux": {"namespaces": [{"type": "pid", "extra": 1}], "newThing": null}, "windows": {"layerFolders": []}}
        """#
        let s = try OCISpec.parse(text)
        #expect(s.process?.user.uid == 5)
        #expect(s.linux?.namespaces == [OCISpec.Namespace(.pid)])
    }

    @Test func nullReadsAsAbsent() throws {
        let s = try OCISpec.parse(#"{"ociVersion": "1.0.0", "root": {"path": "r"}, "process": {"args": ["a"], "cwd": "/", "env": null, "capabilities": null, "oomScoreAdj": null, "user": {"umask": null}}, "mounts": null, "hostname": "", "linux": {"seccomp": null, "rootfsPropagation": ""}}"#)
        #expect(s.process?.env == [] && s.process?.capabilities == nil && s.mounts == [] && s.linux?.seccomp == nil)
        // Go writes "" for an unset string; it reads as unset, not as a value to check.
        #expect(s.process?.oomScoreAdj == nil && s.process?.user.umask == nil && s.hostname == nil && s.linux?.rootfsPropagation == nil)
    }

    @Test func processIsOptionalWhenNotCreating() throws {
        let s = try OCISpec.parse(#"{"ociVersion": "1.0.0", "root": {"path": "r"}}"#, requireProcess: false)
        #expect(s.process == nil)
    }

    @Test func execProcessFile() throws {
        var w: [OCIError] = []
        let p = try OCISpec.parseProcess(Array(#"{"args": ["ls", "-l"], "cwd": "/tmp", "terminal": true, "capabilities": {"bounding": ["CAP_KILL"]}}"#.utf8), warnings: &w)
        #expect(p.args == ["ls", "-l"] && p.cwd == "/tmp" && p.terminal)
        #expect(p.capabilities?.bounding == ["CAP_KILL"])
        #expect(throws: OCIError(file: "process.json", path: ".capabilities.bounding[0]", reason: #"unknown capability "CAP_BOGUS""#)) {
            try OCISpec.parseProcess(Array(#"{"args": ["ls"], "cwd": "/", "capabilities": {"bounding": ["CAP_BOGUS"]}}"#.utf8), warnings: &w)
        }
        #expect(throws: OCIError(file: "process.json", path: ".args", reason: "must be a non-empty array of strings")) {
            try OCISpec.parseProcess(Array(#"{"cwd": "/"}"#.utf8), warnings: &w)
        }
    }

    /// exec's base: only the config's `process`, the same as the whole parse gives.
    @Test func aConfigsProcessAlone() throws {
        let text = #"{"ociVersion": "1.1.0", "root": {"path": "r"}, "process": {"args": ["sh"], "cwd": "/srv", "env": ["A=1"], "user": {"uid": 7, "gid": 8}}, "linux": {"namespaces": [{"type": "mount"}]}}"#
        let p = try #require(try OCISpec.parseConfigProcess(Array(text.utf8)))
        #expect(p == (try OCISpec.parse(text)).process)
        #expect(p.cwd == "/srv" && p.env == ["A=1"] && p.user.uid == 7 && p.user.gid == 8)
        #expect(try OCISpec.parseConfigProcess(Array(#"{"ociVersion": "1.1.0"}"#.utf8)) == nil)
        #expect(throws: OCIError(file: "config.json", path: ".process.args", reason: "must be a non-empty array of strings")) {
            try OCISpec.parseConfigProcess(Array(#"{"process": {"cwd": "/"}}"#.utf8))
        }
    }

    @Test func warningsNameThePath() throws {
        var w: [OCIError] = []
        let text = #"""
        {"ociVersion": "1.1.0", "root": {"path": "r"},
         "process": {"args": ["a"], "cwd": "/", "selinuxLabel": "system_u:system_r:container_t:s0",
                     "capabilities": {"effective": ["CAP_KILL", "CAP_KILL"]}},
         "mounts": [{"destination": "data", "type": "tmpfs"}],
         "linux": {"mountLabel": "system_u:object_r:container_file_t:s0", "namespaces": [{"type": "mount"}]}}
        """#
        let s = try OCISpec.parse(Array(text.utf8), warnings: &w)
        #expect(s.process?.capabilities?.effective == ["CAP_KILL"])
        #expect(s.mounts[0].destination == "/data")
        #expect(w.map(\.description) == [
            #"config.json: .process.selinuxLabel: SELinux is not supported by silo; label "system_u:system_r:container_t:s0" is not applied"#,
            #"config.json: .mounts[0].destination: relative destination "data" is taken as "/data""#,
            #"config.json: .linux.mountLabel: SELinux is not supported by silo; label "system_u:object_r:container_file_t:s0" is not applied"#,
        ])
    }

    @Test(arguments: ["1.0.0", "1.1.0", "1.0.2-dev", "1.1.0+dev", "1.2.3-rc.1+build.5"])
    func acceptedVersions(_ v: String) throws {
        #expect(try OCISpec.parse(#"{"ociVersion": "\#(v)", "root": {"path": "r"}}"#, requireProcess: false).ociVersion == v)
    }

    @Test func joinedNamespacesAndIdmappedMounts() throws {
        let text = #"""
        {"ociVersion": "1.1.0", "root": {"path": "r"}, "process": {"args": ["a"], "cwd": "/"},
         "mounts": [{"destination": "/data", "type": "bind", "source": "/srv", "options": ["rbind", "idmap"],
                     "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                     "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}],
         "linux": {"namespaces": [{"type": "user", "path": "/proc/42/ns/user"}, {"type": "time"}, {"type": "network", "path": ""}, {"type": "mount"}],
                   "timeOffsets": {"monotonic": {"secs": -5, "nanosecs": 7}, "boottime": {"secs": 86400}},
                   "personality": {"domain": "LINUX32"}, "rootfsPropagation": "rslave",
                   "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0},
                               {"path": "/dev/fifo", "type": "p"}]}}
        """#
        let s = try OCISpec.parse(text)
        let l = try #require(s.linux)
        #expect(l.namespaces == [OCISpec.Namespace(.user, path: "/proc/42/ns/user"), OCISpec.Namespace(.time), OCISpec.Namespace(.network), OCISpec.Namespace(.mount)])
        #expect(l.timeOffsets == ["monotonic": OCISpec.TimeOffset(secs: -5, nanosecs: 7), "boottime": OCISpec.TimeOffset(secs: 86400)])
        #expect(l.personality == OCISpec.Personality(domain: "LINUX32"))
        #expect(l.devices[0].fileMode == 438 && l.devices[1].type == "p" && l.devices[1].major == 0)
        #expect(s.mounts[0].uidMappings.first?.hostID == 100000)
    }
}
