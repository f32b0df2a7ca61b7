import Foundation
import SiloSpec
import SiloSys
import Testing

@testable import SiloKit

/// What the OCI verbs skip on their usual path (docs/oci.md, benchmark): the config copy read
/// back only for hooks the record says exist, a stopped container's cgroups removed by one
/// rmdir each, exec's child moving itself into the cgroups.
@Suite struct OCIHotPathTests {
    @Test func theRecordKeepsWhichLaterHooksTheConfigHas() throws {
        var rec = ContainerRecord(id: "c", status: .created, pid: 7, pidStartTime: 1, bundle: "/b")
        #expect(rec.laterHooks == nil && rec.mayHaveHooks("poststart") && rec.mayHaveHooks("poststop"))
        rec.laterHooks = ["poststop"]
        let back = try ContainerRecord.decode(rec.encoded)
        #expect(back == rec && back.laterHooks == ["poststop"])
        #expect(!back.mayHaveHooks("poststart") && back.mayHaveHooks("poststop"))
        rec.laterHooks = []
        #expect(try ContainerRecord.decode(rec.encoded).laterHooks == [])
        // A record written before the field (or with null) cannot tell: the copy is read.
        let old = try ContainerRecord.decode(Array(#"{"id":"c","status":"created","bundle":"/b","laterHooks":null}"#.utf8))
        #expect(old.laterHooks == nil && old.mayHaveHooks("poststart"))
    }

    func record(_ fs: FakeCgroupTree, _ dirs: [String]) -> ContainerRecord {
        var rec = ContainerRecord(id: "c", status: .created, pid: 7, pidStartTime: 1, bundle: "/b")
        for d in dirs { rec.cgroupPaths[d] = fs.base + "/cgroup/" + d + "/silo-c" }
        return rec
    }

    @Test func emptyCgroupsGoByOneRmdirEach() throws {
        let (fs, _) = try CgroupTreeTests().hybrid()
        for d in ["pids", "freezer", "memory"] { try fs.mkdir(fs.base + "/cgroup/\(d)/silo-c") }
        let rec = record(fs, ["pids", "freezer", "memory", "devices"])  // devices: already gone
        #expect(ContainerCgroup.removeEmpty(rec, fs: fs))
        for d in ["pids", "freezer", "memory"] { #expect(!fs.isDirectory(fs.base + "/cgroup/\(d)/silo-c")) }
    }

    @Test func aCgroupWithProcessesSendsDeleteTheFullWay() throws {
        let (fs, _) = try CgroupTreeTests().hybrid()
        for d in ["pids", "freezer"] { try fs.mkdir(fs.base + "/cgroup/\(d)/silo-c") }
        try fs.write(fs.base + "/cgroup/pids/silo-c/cgroup.procs", "4242")
        #expect(!ContainerCgroup.removeEmpty(record(fs, ["pids", "freezer"]), fs: fs))
        #expect(fs.isDirectory(fs.base + "/cgroup/pids/silo-c"))
        #expect(!ContainerCgroup.removeEmpty(ContainerRecord(id: "c", status: .created, bundle: "/b"), fs: fs), "no cgroup recorded")
    }

    /// v1: `tasks`, which the child writes "0" to (no threadgroup lock, no RCU grace period);
    /// v2, which has no `tasks`: cgroup.procs.
    @Test func execsChildGetsTasksFilesOnV1AndCgroupProcsOnV2() throws {
        let (fs, _) = try CgroupTreeTests().hybrid()
        for d in ["pids", "freezer", "unified"] { try fs.mkdir(fs.base + "/cgroup/\(d)/silo-c") }
        let rec = record(fs, ["pids", "freezer", "unified"])
        let fds = ContainerExec.openCgroupProcs(rec)
        defer { for fd in fds { close(fd) } }
        let opened = try fds.map { try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)") }
        #expect(Set(opened) == [fs.base + "/cgroup/pids/silo-c/tasks", fs.base + "/cgroup/freezer/silo-c/tasks",
                                fs.base + "/cgroup/unified/silo-c/cgroup.procs"])
    }
}

extension OCIHotPathTests {
    /// exec by exact id parses only the state files that could name it; the rule stays: a word
    /// that is an id and a run container's name is refused, in any JSON spelling of the record.
    @Test func anExactIdIsResolvedWithoutParsingEveryRecord() throws {
        let dir = StateTestSupport.tempDir("lookup-fast")
        defer { StateTestSupport.removeTree(dir) }
        chmod(dir, 0o711)
        let store = try ContainerStateStore(root: dir)
        var web = ContainerRecord(id: "abc111", status: .stopped, bundle: "")
        web.kind = "run"
        web.name = "web"
        try ContainerLookup.claim(web, in: store)
        try ContainerLookup.claim(ContainerRecord(id: "oci1", status: .stopped, bundle: "/b"), in: store)
        // A record no parser reads: had resolve parsed it for an exact id, it would be skipped
        // silently either way, so the proof is that resolve still answers while a broken record
        // lies beside it, and that the conflict below is found through a spaced-out record.
        try store.create(id: "broken")
        try "{\"id\":".write(toFile: dir + "/broken/state.json", atomically: false, encoding: .utf8)
        #expect(try ContainerLookup.resolve("oci1", in: store) == "oci1")
        #expect(ContainerLookup.runContainer(named: "oci1", in: store) == nil)
        #expect(ContainerLookup.runContainer(named: "web", in: store) == "abc111")
        #expect(ContainerLookup.runContainer(named: "w/eb", in: store) == nil, "not a name")
        try String(decoding: web.encoded, as: UTF8.self).replacingOccurrences(of: "\"name\":", with: "\"name\" : ")
            .write(toFile: dir + "/abc111/state.json", atomically: false, encoding: .utf8)
        try ContainerLookup.claim(ContainerRecord(id: "web", status: .stopped, bundle: "/b"), in: store)
        #expect(throws: RuntimeError.self) { try ContainerLookup.resolve("web", in: store) }
    }
}

extension OCIHotPathTests {
    /// exec's CLONE_VM child: what it writes, silo sees (one address space, no copy), and an
    /// error record it sends comes back as the child's failure.
    @Test func execsChildSharesSilosMemoryUntilItExits() throws {
        for sendsRecord in [false, true] {
            var socks: [Int32] = [-1, -1]
            #expect(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &socks) == 0)
            let seen = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
            defer { seen.deallocate() }
            seen.pointee = 0
            let syncFD = socks[1]
            let child = try ExecSharedChild(syncFD: syncFD, parentEnd: socks[0]) {
                seen.pointee = 42
                if sendsRecord { ErrorRecord.send(StageError(.exec, SyscallError("execve", errno: ENOENT, object: "/nope")), fd: syncFD) }
                Exit.now(0)
            }
            defer { child.release() }
            let (pid, e) = child.clone()
            close(socks[1])
            defer { close(socks[0]) }
            #expect(pid > 0, "clone: errno \(e)")
            let outcome = child.acknowledgeAndAwaitExec(fd: socks[0], pid: pid)
            var status: Int32 = 0
            #expect(waitpid(pid, &status, 0) == pid)
            #expect(seen.pointee == 42, "the child's write is in our memory")
            switch outcome {
            case .success(let record): #expect((record?.error.object == "/nope") == sendsRecord, "\(String(describing: record))")
            case .failure(let error): Issue.record("\(error)")
            }
        }
    }
}
