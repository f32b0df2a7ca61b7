import Testing
@testable import SiloSpec

@Suite struct OCIDefaultsTests {
    /// Go's encoder and ours agree on member order and omitempty: runc's own file, read and
    /// written again, is the same bytes.
    @Test(arguments: [Fixtures.runcSpec, Fixtures.runcSpecRootless])
    func runcFileRoundTripsByteForByte(_ text: String) throws {
        #expect(try OCISpec.parse(text).json.encoded(indent: "\t") == text)
    }

    /// Members come in the order of the Go structs of runtime-spec's specs-go, as runc and
    /// crun write them (runc's files above have no hooks, annotations or sysctl to show it).
    @Test func memberOrderIsGos() throws {
        func keys(_ j: JSON?) -> [String] {
            guard case .object(let ms)? = j else { return [] }
            return ms.map(\.key)
        }
        let j = try OCISpec.parse(OCIDefaultsTests.kitchenSink).json
        #expect(keys(j) == ["ociVersion", "process", "root", "hostname", "domainname", "mounts", "hooks", "annotations", "linux"])
        #expect(keys(j["process"]) == ["terminal", "consoleSize", "user", "args", "env", "cwd", "capabilities", "rlimits",
                                       "noNewPrivileges", "oomScoreAdj"])
        #expect(keys(j["linux"]) == ["uidMappings", "gidMappings", "sysctl", "resources", "cgroupsPath", "namespaces", "devices",
                                     "seccomp", "rootfsPropagation", "maskedPaths", "readonlyPaths", "personality", "timeOffsets"])
        #expect(keys(j["linux"]?["resources"]) == ["devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits", "network", "rdma", "unified"])
        #expect(keys(j["hooks"]) == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"])
        #expect(keys(j["annotations"]) == ["a", "b"])
    }

    /// `silo spec` is `runc spec` but for the documented differences (version, hostname, no
    /// ambient set).
    @Test func defaultConfigIsRuncs() throws {
        var runc = try OCISpec.parse(Fixtures.runcSpec)
        runc.ociVersion = "1.1.0"
        runc.hostname = "silo"
        runc.process?.capabilities?.ambient = nil
        let silo = OCISpec.defaultConfig(rootless: false)
        #expect(silo == runc)
        #expect(silo.json.encoded(indent: "\t") == runc.json.encoded(indent: "\t"))
    }

    @Test func rootlessDefaultConfigIsRuncs() throws {
        var runc = try OCISpec.parse(Fixtures.runcSpecRootless)
        runc.ociVersion = "1.1.0"
        runc.hostname = "silo"
        runc.process?.capabilities?.ambient = nil
        // runc ran as root here, so its mapping is of 0; with the caller's ids it maps those.
        #expect(OCISpec.defaultConfig(rootless: true) == runc)
        let mine = OCISpec.defaultConfig(rootless: true, hostUID: 1000, hostGID: 1001)
        #expect(mine.linux?.uidMappings == [OCISpec.IDMapping(containerID: 0, hostID: 1000, size: 1)])
        #expect(mine.linux?.gidMappings == [OCISpec.IDMapping(containerID: 0, hostID: 1001, size: 1)])
        #expect(mine.linux?.namespaces.map(\.type) == [.pid, .ipc, .uts, .mount, .user])
        #expect(mine.mounts.allSatisfy { !$0.options.contains { $0.hasPrefix("gid=") || $0.hasPrefix("uid=") } })
    }

    /// What `spec` writes, `create` reads without a warning.
    @Test(arguments: [false, true])
    func defaultConfigParses(_ rootless: Bool) throws {
        let spec = OCISpec.defaultConfig(rootless: rootless, hostUID: 1000, hostGID: 1000)
        var warnings: [OCIError] = []
        #expect(try OCISpec.parse(spec.json.encodedBytes(indent: "\t"), warnings: &warnings) == spec)
        #expect(warnings.isEmpty)
    }

    @Test func everyFieldRoundTrips() throws {
        for text in [Fixtures.podman, OCIDefaultsTests.kitchenSink] {
            let spec = try OCISpec.parse(text)
            let again = try OCISpec.parse(spec.json.encoded())
            #expect(again == spec)
            #expect(again.json.encoded(indent: "  ") == spec.json.encoded(indent: "  "))
        }
        let sink = try OCISpec.parse(OCIDefaultsTests.kitchenSink)
        let r = try #require(sink.linux?.resources)
        #expect(r.memory?.limit == 536_870_912 && r.memory?.swap == -1 && r.memory?.disableOOMKiller == true)
        #expect(r.cpu?.quota == 50000 && r.cpu?.cpus == "0-1" && r.cpu?.idle == 0)
        #expect(r.blockIO?.weightDevice == [OCISpec.WeightDevice(major: 8, minor: 0, weight: 500)])
        #expect(r.blockIO?.throttleWriteIOPSDevice == [OCISpec.ThrottleDevice(major: 8, minor: 16, rate: 300)])
        #expect(r.hugepageLimits == [OCISpec.HugepageLimit(pageSize: "2MB", limit: 209_715_200)])
        #expect(r.network?.priorities == [OCISpec.InterfacePriority(name: "eth0", priority: 5)])
        #expect(r.rdma == ["mlx5_1": OCISpec.RDMA(hcaHandles: 3, hcaObjects: 10000)])
        #expect(r.unified == ["io.max": "8:0 rbps=1048576", "memory.high": "max"])
        #expect(sink.linux?.seccomp?.syscalls.first?.args.first?.valueTwo == 18_446_744_073_709_551_615)
    }

    @Test func features() throws {
        let f = OCIFeatures.silo
        let j = try JSON.parse(f.json.encoded(indent: "    "))
        #expect(j["ociVersionMin"] == .string("1.0.0") && j["ociVersionMax"] == .string("1.1.0"))
        #expect(j["hooks"] == .strings(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]))
        let linux = try #require(j["linux"])
        #expect(linux["namespaces"] == .strings(["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"]))
        #expect(linux["apparmor"] == .object([.init("enabled", .bool(false))]))
        #expect(linux["intelRdt"] == .object([.init("enabled", .bool(false))]))
        #expect(linux["mountExtensions"]?["idmap"]?["enabled"] == .bool(true))
        #expect(linux["cgroup"]?["systemd"] == .bool(false))
        #expect(linux["seccomp"]?["actions"] == .strings(["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                                                          "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"]))
        #expect(j["annotations"] == nil)
        // Every option podman sends is listed; so is every spec MUST option.
        for o in ["tmpcopyup", "rprivate", "nosuid", "rbind", "idmap", "ro", "relatime"] { #expect(f.mountOptions.contains(o)) }
    }

    /// What features promises, the parser accepts.
    @Test func featuresAgreeWithTheParser() throws {
        let f = OCIFeatures.silo
        for a in f.seccomp.actions {
            _ = try OCISpec.parse(config(#""linux": {"seccomp": {"defaultAction": "\#(a)"}}"#))
        }
        for a in f.seccomp.archs {
            _ = try OCISpec.parse(config(#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["\#(a)"]}}"#))
        }
        for op in f.seccomp.operators {
            _ = try OCISpec.parse(config(#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_LOG", "args": [{"index": 1, "value": 2, "op": "\#(op)"}]}]}}"#))
        }
        for n in f.namespaces {
            _ = try OCISpec.parse(config(#""linux": {"namespaces": [{"type": "\#(n)"}]}"#))
        }
        var warnings: [OCIError] = []
        let caps = f.capabilities.map { "\"\($0)\"" }.joined(separator: ",")
        _ = try OCISpec.parse(Array(config(process: #"{"args": ["a"], "cwd": "/", "capabilities": {"bounding": [\#(caps)]}}"#).utf8), warnings: &warnings)
        #expect(warnings.isEmpty)
    }

    static let kitchenSink = #"""
    {
      "ociVersion": "1.1.0",
      "process": {
        "terminal": true, "consoleSize": {"height": 24, "width": 80},
        "user": {"uid": 1000, "gid": 1000, "umask": 63, "additionalGids": [5, 6]},
        "args": ["/bin/sh", "-c", "echo \"hi\"\n"], "env": ["A=1", "B=x=y", "EMPTY="], "cwd": "/home/u",
        "capabilities": {"bounding": ["CAP_KILL"], "effective": [], "inheritable": ["CAP_KILL"], "permitted": ["CAP_KILL"], "ambient": []},
        "rlimits": [{"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}],
        "noNewPrivileges": true, "oomScoreAdj": -1000
      },
      "root": {"path": "/abs/rootfs", "readonly": true},
      "hostname": "h", "domainname": "d.example",
      "mounts": [
        {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro", "ridmap"],
         "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}], "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "tmpcopyup"]}
      ],
      "hooks": {
        "prestart": [{"path": "/h/pre"}], "createRuntime": [{"path": "/h/cr", "args": ["cr", "1"], "env": ["X=1"], "timeout": 5}],
        "createContainer": [{"path": "/h/cc"}], "startContainer": [{"path": "/h/sc"}], "poststart": [{"path": "/h/ps"}], "poststop": [{"path": "/h/stop"}]
      },
      "annotations": {"b": "2", "a": "1"},
      "linux": {
        "uidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}],
        "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}],
        "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "1000", "fs/mqueue/msg_max": "20", "user.max_user_namespaces": "0", "kernel.domainname": "x"},
        "resources": {
          "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}, {"allow": true, "type": "c", "major": 136}],
          "memory": {"limit": 536870912, "reservation": 1, "swap": -1, "kernel": 2, "kernelTCP": 3, "swappiness": 10, "disableOOMKiller": true, "useHierarchy": false, "checkBeforeUpdate": true},
          "cpu": {"shares": 1024, "quota": 50000, "burst": 10, "period": 100000, "realtimeRuntime": 950000, "realtimePeriod": 1000000, "cpus": "0-1", "mems": "0", "idle": 0},
          "pids": {"limit": -1},
          "blockIO": {"weight": 10, "leafWeight": 20, "weightDevice": [{"major": 8, "minor": 0, "weight": 500}],
                      "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}], "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 700}],
                      "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 120}], "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 300}]},
          "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
          "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
          "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
          "unified": {"memory.high": "max", "io.max": "8:0 rbps=1048576"}
        },
        "cgroupsPath": "/silo/c1",
        "namespaces": [{"type": "pid"}, {"type": "network", "path": "/run/netns/n1"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"},
                       {"type": "user"}, {"type": "cgroup"}, {"type": "time"}],
        "timeOffsets": {"monotonic": {"secs": 3600, "nanosecs": 0}},
        "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 8630, "uid": 0, "gid": 0}],
        "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64"], "flags": ["SECCOMP_FILTER_FLAG_TSYNC"],
                    "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 4294967295, "valueTwo": 18446744073709551615, "op": "SCMP_CMP_MASKED_EQ"}]},
                                 {"names": ["ptrace"], "action": "SCMP_ACT_TRACE", "errnoRet": 7}]},
        "rootfsPropagation": "private",
        "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"],
        "personality": {"domain": "LINUX"}
      }
    }
    """#
}
