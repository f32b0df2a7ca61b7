import Testing
@testable import SiloSpec

/// A config.json with the given parts; the defaults make a valid one.
func config(version: String = #""1.1.0""#, process: String = #"{"args": ["a"], "cwd": "/"}"#,
            root: String = #"{"path": "rootfs"}"#, _ rest: String = "") -> String {
    var members = [#""ociVersion": \#(version)"#, #""root": \#(root)"#]
    if !process.isEmpty { members.append(#""process": \#(process)"#) }
    if !rest.isEmpty { members.append(rest) }
    return "{" + members.joined(separator: ", ") + "}"
}

@Suite struct OCISpecErrorTests {
    @Test func theDefaultsAreValid() throws {
        _ = try OCISpec.parse(config())
    }

    /// Each fault with its exact message: the file, the JSON path, the cause.
    @Test(arguments: [
        // The document.
        ("[1]", "config.json: expected an object, found array"),
        ("{", "config.json: line 1, column 2: unexpected end of input in an object"),
        (#"{"root": {"path": "r"}}"#, "config.json: .ociVersion: missing (a string is required)"),
        (config(version: "1"), "config.json: .ociVersion: expected a string, found number"),
        (config(version: #""1.0""#), #"config.json: .ociVersion: "1.0" is not a SemVer version"#),
        (config(version: #""01.0.0""#), #"config.json: .ociVersion: "01.0.0" is not a SemVer version"#),
        (config(version: #""1.0.0-""#), #"config.json: .ociVersion: "1.0.0-" is not a SemVer version"#),
        (config(version: #""2.0.0""#), "config.json: .ociVersion: version 2.0.0 is not supported (silo reads 1.x)"),
        // root
        (#"{"ociVersion": "1.0.0", "process": {"args": ["a"], "cwd": "/"}}"#, "config.json: .root: missing (an object is required)"),
        (config(root: #""rootfs""#), "config.json: .root: expected an object, found string"),
        (config(root: "{}"), "config.json: .root.path: missing (a string is required)"),
        (config(root: #"{"path": ""}"#), "config.json: .root.path: must not be empty"),
        (config(root: #"{"path": "r", "readonly": "yes"}"#), "config.json: .root.readonly: expected a boolean, found string"),
        // process
        (config(process: ""), "config.json: .process: missing (required to create a container)"),
        (config(process: "[]"), "config.json: .process: expected an object, found array"),
        (config(process: #"{"cwd": "/"}"#), "config.json: .process.args: must be a non-empty array of strings"),
        (config(process: #"{"args": [], "cwd": "/"}"#), "config.json: .process.args: must be a non-empty array of strings"),
        (config(process: #"{"args": "sh", "cwd": "/"}"#), "config.json: .process.args: must be a non-empty array of strings"),
        (config(process: #"{"args": ["sh", 1], "cwd": "/"}"#), "config.json: .process.args: must be a non-empty array of strings"),
        (config(process: #"{"args": ["a\u0000b"], "cwd": "/"}"#), "config.json: .process.args[0]: contains a NUL character"),
        (config(process: #"{"args": ["a"]}"#), "config.json: .process.cwd: missing (an absolute path is required)"),
        (config(process: #"{"args": ["a"], "cwd": "tmp"}"#), #"config.json: .process.cwd: must be an absolute path, found "tmp""#),
        (config(process: #"{"args": ["a"], "cwd": "/", "env": ["A=1", "NOEQUALS"]}"#), #"config.json: .process.env[1]: must be NAME=value, found "NOEQUALS""#),
        (config(process: #"{"args": ["a"], "cwd": "/", "env": ["=x"]}"#), #"config.json: .process.env[0]: must be NAME=value, found "=x""#),
        (config(process: #"{"args": ["a"], "cwd": "/", "env": [1]}"#), "config.json: .process.env[0]: expected a string, found number"),
        (config(process: #"{"args": ["a"], "cwd": "/", "terminal": 1}"#), "config.json: .process.terminal: expected a boolean, found number"),
        (config(process: #"{"args": ["a"], "cwd": "/", "consoleSize": {"height": 24}}"#), "config.json: .process.consoleSize.width: missing (an integer is required)"),
        (config(process: #"{"args": ["a"], "cwd": "/", "user": {"uid": -1}}"#), "config.json: .process.user.uid: expected an integer from 0 to 4294967295, found -1"),
        (config(process: #"{"args": ["a"], "cwd": "/", "user": {"gid": 1.5}}"#), "config.json: .process.user.gid: expected an integer from 0 to 4294967295, found 1.5"),
        (config(process: #"{"args": ["a"], "cwd": "/", "user": {"uid": "0"}}"#), "config.json: .process.user.uid: expected an integer from 0 to 4294967295, found string"),
        (config(process: #"{"args": ["a"], "cwd": "/", "user": {"umask": 512}}"#), "config.json: .process.user.umask: expected an integer from 0 to 511, found 512"),
        (config(process: #"{"args": ["a"], "cwd": "/", "user": {"additionalGids": [1, "2"]}}"#), "config.json: .process.user.additionalGids[1]: expected an integer from 0 to 4294967295, found string"),
        (config(process: #"{"args": ["a"], "cwd": "/", "capabilities": {"bounding": "CAP_KILL"}}"#), "config.json: .process.capabilities.bounding: expected an array, found string"),
        (config(process: #"{"args": ["a"], "cwd": "/", "capabilities": {"ambient": [7]}}"#), "config.json: .process.capabilities.ambient[0]: expected a string, found number"),
        (config(process: #"{"args": ["a"], "cwd": "/", "rlimits": [{"type": "RLIMIT_FOO", "hard": 1, "soft": 1}]}"#), #"config.json: .process.rlimits[0].type: unknown rlimit "RLIMIT_FOO""#),
        (config(process: #"{"args": ["a"], "cwd": "/", "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1, "soft": 1}, {"type": "RLIMIT_NOFILE", "hard": 2, "soft": 2}]}"#),
         "config.json: .process.rlimits[1].type: RLIMIT_NOFILE is listed twice"),
        (config(process: #"{"args": ["a"], "cwd": "/", "rlimits": [{"type": "RLIMIT_CORE", "hard": 1, "soft": 2}]}"#), "config.json: .process.rlimits[0].soft: 2 is above the hard limit 1"),
        (config(process: #"{"args": ["a"], "cwd": "/", "rlimits": [{"type": "RLIMIT_CORE", "soft": 2}]}"#), "config.json: .process.rlimits[0].hard: missing (an integer is required)"),
        (config(process: #"{"args": ["a"], "cwd": "/", "oomScoreAdj": 1001}"#), "config.json: .process.oomScoreAdj: expected an integer from -1000 to 1000, found 1001"),
        (config(process: #"{"args": ["a"], "cwd": "/", "noNewPrivileges": "true"}"#), "config.json: .process.noNewPrivileges: expected a boolean, found string"),
        (config(process: #"{"args": ["a"], "cwd": "/", "apparmorProfile": 1}"#), "config.json: .process.apparmorProfile: expected a string, found number"),
        (config(process: #"{"args": ["a"], "cwd": "/", "scheduler": {"policy": "SCHED_FIFO"}}"#), "config.json: .process.scheduler: not supported by silo"),
        (config(process: #"{"args": ["a"], "cwd": "/", "ioPriority": {"class": "IOPRIO_CLASS_RT"}}"#), "config.json: .process.ioPriority: not supported by silo"),
        // top-level strings and maps
        (config(#""hostname": 5"#), "config.json: .hostname: expected a string, found number"),
        (config(#""hostname": "h""#), #"config.json: .hostname: needs a UTS namespace (.linux.namespaces has no "uts")"#),
        (config(#""domainname": "d", "linux": {"namespaces": [{"type": "pid"}]}"#), #"config.json: .domainname: needs a UTS namespace (.linux.namespaces has no "uts")"#),
        (config(#""annotations": {"a": 1}"#), "config.json: .annotations.a: expected a string, found number"),
        (config(#""annotations": {"io.k8s/x y": "ok", "quote\"d": 1}"#), #"config.json: .annotations."quote\"d": expected a string, found number"#),
        (config(#""annotations": []"#), "config.json: .annotations: expected an object, found array"),
        // mounts
        (config(#""mounts": {}"#), "config.json: .mounts: expected an array, found object"),
        (config(#""mounts": [{"type": "tmpfs"}]"#), "config.json: .mounts[0].destination: missing (a string is required)"),
        (config(#""mounts": [{"destination": ""}]"#), "config.json: .mounts[0].destination: must not be empty"),
        (config(#""mounts": [{"destination": "/a"}, {"destination": "/b", "options": "ro"}]"#), "config.json: .mounts[1].options: expected an array, found string"),
        (config(#""mounts": [{"destination": "/a", "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}]"#),
         "config.json: .mounts[0].gidMappings: missing (uidMappings are given, so gidMappings must be too)"),
        (config(#""mounts": [{"destination": "/a", "gidMappings": [{"containerID": 0, "hostID": 1, "size": 0}]}]"#), "config.json: .mounts[0].gidMappings[0].size: must be at least 1"),
        (config(#""mounts": [{"destination": "/a", "options": ["idmap"]}], "linux": {"namespaces": [{"type": "mount"}]}"#), "config.json: .mounts[0].options: an idmapped mount needs uidMappings/gidMappings or a user namespace"),
        (config(#""mounts": [{"destination": "/a"}], "linux": {"namespaces": [{"type": "pid"}]}"#), #"config.json: .mounts: needs a mount namespace (.linux.namespaces has no "mount")"#),
        // hooks
        (config(#""hooks": {"prestart": [{"args": ["x"]}]}"#), "config.json: .hooks.prestart[0].path: missing (an absolute path is required)"),
        (config(#""hooks": {"poststart": [{"path": "hook"}]}"#), #"config.json: .hooks.poststart[0].path: must be an absolute path, found "hook""#),
        (config(#""hooks": {"poststop": [{"path": "/h", "timeout": 0}]}"#), "config.json: .hooks.poststop[0].timeout: expected an integer from 1 to 9223372036854775807, found 0"),
        (config(#""hooks": {"createContainer": [{"path": "/h", "env": "A=1"}]}"#), "config.json: .hooks.createContainer[0].env: expected an array, found string"),
        (config(#""hooks": {"startContainer": {}}"#), "config.json: .hooks.startContainer: expected an array, found object"),
    ] as [(String, String)])
    func topAndProcessErrors(_ text: String, _ message: String) {
        do {
            _ = try OCISpec.parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test(arguments: [
        (#""namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "foo"}]"#, #"config.json: .linux.namespaces[2].type: unknown namespace "foo""#),
        (#""namespaces": [{"type": "pid"}, {"type": "pid", "path": "/proc/1/ns/pid"}]"#, #"config.json: .linux.namespaces[1].type: namespace "pid" is listed twice"#),
        (#""namespaces": [{"path": "/x"}]"#, "config.json: .linux.namespaces[0].type: missing (a string is required)"),
        (#""namespaces": [{"type": "net", "path": "/x"}]"#, #"config.json: .linux.namespaces[0].type: unknown namespace "net""#),
        (#""namespaces": [{"type": "network", "path": "run/netns/x"}]"#, #"config.json: .linux.namespaces[0].path: must be an absolute path, found "run/netns/x""#),
        (#""namespaces": ["pid"]"#, "config.json: .linux.namespaces[0]: expected an object, found string"),
        (#""uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}], "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]"#,
         #"config.json: .linux.uidMappings: needs a user namespace (.linux.namespaces has no "user")"#),
        (#""namespaces": [{"type": "user"}], "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]"#,
         "config.json: .linux.uidMappings: missing (gidMappings are given, so uidMappings must be too)"),
        (#""namespaces": [{"type": "user"}], "uidMappings": [{"containerID": 0, "hostID": 4294967296, "size": 1}]"#,
         "config.json: .linux.uidMappings[0].hostID: expected an integer from 0 to 4294967295, found 4294967296"),
        (#""timeOffsets": {"monotonic": {"secs": 1}}"#, #"config.json: .linux.timeOffsets: needs a time namespace (.linux.namespaces has no "time")"#),
        (#""namespaces": [{"type": "time", "path": "/proc/1/ns/time"}], "timeOffsets": {"boottime": {"secs": 1}}"#,
         "config.json: .linux.timeOffsets: cannot be set when joining a time namespace by path"),
        (#""namespaces": [{"type": "time"}], "timeOffsets": {"realtime": {"secs": 1}}"#, #"config.json: .linux.timeOffsets.realtime: unknown clock "realtime" (monotonic or boottime)"#),
        (#""namespaces": [{"type": "time"}], "timeOffsets": {"monotonic": {"nanosecs": 1000000000}}"#,
         "config.json: .linux.timeOffsets.monotonic.nanosecs: expected an integer from 0 to 999999999, found 1000000000"),
        (#""devices": [{"path": "/dev/x", "type": "q", "major": 1, "minor": 1}]"#, #"config.json: .linux.devices[0].type: unknown device type "q""#),
        (#""devices": [{"path": "/dev/x", "type": "c", "major": 1}]"#, "config.json: .linux.devices[0].minor: missing (an integer is required)"),
        (#""devices": [{"path": "dev/x", "type": "c", "major": 1, "minor": 3}]"#, #"config.json: .linux.devices[0].path: must be an absolute path, found "dev/x""#),
        (#""devices": [{"path": "/dev/x", "type": "c", "major": 1, "minor": 3, "fileMode": "0666"}]"#, "config.json: .linux.devices[0].fileMode: expected an integer from 0 to 4294967295, found string"),
        (#""cgroupsPath": 1"#, "config.json: .linux.cgroupsPath: expected a string, found number"),
        (#""namespaces": [{"type": "network"}], "sysctl": {"net.ipv4.ip_forward": 1}"#, "config.json: .linux.sysctl.\"net.ipv4.ip_forward\": expected a string, found number"),
        (#""sysctl": {"../../etc": "1"}"#, #"config.json: .linux.sysctl."../../etc": invalid sysctl name "../../etc""#),
        (#""sysctl": {"net..x": "1"}"#, #"config.json: .linux.sysctl."net..x": invalid sysctl name "net..x""#),
        (#""sysctl": {"net": "1"}"#, #"config.json: .linux.sysctl.net: invalid sysctl name "net""#),
        (#""sysctl": {"net.ipv4.ip_forward": "1"}"#, #"config.json: .linux.sysctl."net.ipv4.ip_forward": needs a network namespace (.linux.namespaces has no "network")"#),
        (#""namespaces": [{"type": "network"}], "sysctl": {"kernel.shmmax": "1"}"#, #"config.json: .linux.sysctl."kernel.shmmax": needs an IPC namespace (.linux.namespaces has no "ipc")"#),
        (#""namespaces": [{"type": "ipc"}], "sysctl": {"fs/mqueue/msg_max": "1", "kernel.domainname": "x"}"#, #"config.json: .linux.sysctl."kernel.domainname": needs a UTS namespace (.linux.namespaces has no "uts")"#),
        (#""namespaces": [{"type": "ipc"}], "sysctl": {"user.max_user_namespaces": "0"}"#, #"config.json: .linux.sysctl."user.max_user_namespaces": needs a user namespace (.linux.namespaces has no "user")"#),
        (#""namespaces": [{"type": "uts"}], "sysctl": {"kernel.hostname": "x"}"#, #"config.json: .linux.sysctl."kernel.hostname": set .hostname instead"#),
        (#""namespaces": [{"type": "ipc"}, {"type": "network"}, {"type": "uts"}], "sysctl": {"vm.overcommit_memory": "1"}"#,
         #"config.json: .linux.sysctl."vm.overcommit_memory": not in a namespace of the container; setting it would change the host"#),
        (#""rootfsPropagation": "recursive""#, #"config.json: .linux.rootfsPropagation: unknown propagation "recursive""#),
        (#""maskedPaths": ["/proc/kcore"]"#, #"config.json: .linux.maskedPaths: needs a mount namespace (.linux.namespaces has no "mount")"#),
        (#""namespaces": [{"type": "pid"}], "readonlyPaths": ["/proc/sys"]"#, #"config.json: .linux.readonlyPaths: needs a mount namespace (.linux.namespaces has no "mount")"#),
        (#""maskedPaths": ["/proc/kcore", "proc/keys"]"#, #"config.json: .linux.maskedPaths[1]: must be an absolute path, found "proc/keys""#),
        (#""readonlyPaths": [null]"#, "config.json: .linux.readonlyPaths[0]: expected a string, found null"),
        (#""personality": {"domain": "LINUX64"}"#, #"config.json: .linux.personality.domain: unknown personality domain "LINUX64""#),
        (#""personality": {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}"#, #"config.json: .linux.personality.flags: unknown personality flag "ADDR_NO_RANDOMIZE""#),
        (#""personality": {}"#, "config.json: .linux.personality.domain: missing (LINUX or LINUX32)"),
        (#""intelRdt": {"closID": "guaranteed_group"}"#, "config.json: .linux.intelRdt: Intel RDT is not supported by silo"),
        (#""memoryPolicy": {"mode": "MPOL_BIND"}"#, "config.json: .linux.memoryPolicy: not supported by silo"),
        (#""netDevices": {"eth1": {}}"#, "config.json: .linux.netDevices: moving network devices is not supported by silo"),
        (#""mountLabel": false"#, "config.json: .linux.mountLabel: expected a string, found boolean"),
        // resources
        (#""resources": {"devices": [{"access": "rwm"}]}"#, "config.json: .linux.resources.devices[0].allow: missing (a boolean is required)"),
        (#""resources": {"devices": [{"allow": true, "type": "x"}]}"#, #"config.json: .linux.resources.devices[0].type: unknown device type "x""#),
        (#""resources": {"devices": [{"allow": true, "access": "rwx"}]}"#, #"config.json: .linux.resources.devices[0].access: must be letters of "rwm", found "rwx""#),
        (#""resources": {"memory": {"limit": "1G"}}"#, "config.json: .linux.resources.memory.limit: expected an integer from -9223372036854775808 to 9223372036854775807, found string"),
        (#""resources": {"memory": {"swappiness": -1}}"#, "config.json: .linux.resources.memory.swappiness: expected an integer from 0 to 18446744073709551615, found -1"),
        (#""resources": {"cpu": {"cpus": 0}}"#, "config.json: .linux.resources.cpu.cpus: expected a string, found number"),
        (#""resources": {"pids": {"limit": 1.5}}"#, "config.json: .linux.resources.pids.limit: expected an integer from -9223372036854775808 to 9223372036854775807, found 1.5"),
        (#""resources": {"blockIO": {"weight": 70000}}"#, "config.json: .linux.resources.blockIO.weight: expected an integer from 0 to 65535, found 70000"),
        (#""resources": {"blockIO": {"weightDevice": [{"major": 8, "minor": 0}]}}"#, "config.json: .linux.resources.blockIO.weightDevice[0]: needs weight or leafWeight"),
        (#""resources": {"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0}]}}"#, "config.json: .linux.resources.blockIO.throttleReadBpsDevice[0].rate: missing (an integer is required)"),
        (#""resources": {"hugepageLimits": [{"pageSize": "2MB"}]}"#, "config.json: .linux.resources.hugepageLimits[0].limit: missing (an integer is required)"),
        (#""resources": {"network": {"priorities": [{"name": "eth0"}]}}"#, "config.json: .linux.resources.network.priorities[0].priority: missing (an integer is required)"),
        (#""resources": {"rdma": {"mlx5_1": {}}}"#, "config.json: .linux.resources.rdma.mlx5_1: needs hcaHandles or hcaObjects"),
        (#""resources": {"unified": {"memory.max": 5}}"#, #"config.json: .linux.resources.unified."memory.max": expected a string, found number"#),
        // seccomp
        (#""seccomp": {}"#, "config.json: .linux.seccomp.defaultAction: missing (a string is required)"),
        (#""seccomp": {"defaultAction": "SCMP_ACT_DENY"}"#, #"config.json: .linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_DENY""#),
        (#""seccomp": {"defaultAction": "SCMP_ACT_NOTIFY"}"#, "config.json: .linux.seccomp.defaultAction: SCMP_ACT_NOTIFY needs a seccomp agent, which silo does not support"),
        (#""seccomp": {"defaultAction": "SCMP_ACT_KILL", "defaultErrnoRet": 1}"#, "config.json: .linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not SCMP_ACT_KILL"),
        (#""seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}"#, #"config.json: .linux.seccomp.architectures[0]: unknown architecture "SCMP_ARCH_Z80""#),
        (#""seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]}"#, #"config.json: .linux.seccomp.flags[0]: unknown seccomp flag "SECCOMP_FILTER_FLAG_NEW_LISTENER""#),
        (#""seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock"}"#, "config.json: .linux.seccomp.listenerPath: a seccomp agent is not supported by silo"),
        (#""seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "x"}"#, "config.json: .linux.seccomp.listenerMetadata: must not be set without listenerPath"),
        (#""seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ERRNO"}]}"#, "config.json: .linux.seccomp.syscalls[0].names: must be a non-empty array of strings"),
        (#""seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read", ""], "action": "SCMP_ACT_ERRNO"}]}"#, "config.json: .linux.seccomp.syscalls[0].names[1]: must not be empty"),
        (#""seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}"#, "config.json: .linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs a seccomp agent, which silo does not support"),
        (#""seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "errnoRet": 5}]}"#, "config.json: .linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not SCMP_ACT_LOG"),
        (#""seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#,
         "config.json: .linux.seccomp.syscalls[0].args[0].index: expected an integer from 0 to 5, found 6"),
        (#""seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_LIKE"}]}]}"#,
         #"config.json: .linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_LIKE""#),
        (#""seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "op": "SCMP_CMP_EQ"}]}]}"#,
         "config.json: .linux.seccomp.syscalls[0].args[0].value: missing (an integer is required)"),
    ] as [(String, String)])
    func linuxErrors(_ linux: String, _ message: String) {
        let text = config(#""linux": {\#(linux)}"#)
        do {
            _ = try OCISpec.parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description == message)
        }
    }
}
