import Foundation
import Testing
import SiloSpec
import SiloSys
@testable import SiloKit

@Suite(.serialized) struct ContainerStateStoreTests {
    @Test func rootIsCreatedPrivateAndAGroupWritableRootIsRefused() throws {
        let base = StateTestSupport.tempDir("root")
        defer { StateTestSupport.removeTree(base) }
        let store = try ContainerStateStore(root: base + "/a/b/")
        #expect(store.root == base + "/a/b")
        #expect(StateTestSupport.mode(base + "/a/b") == (geteuid() == 0 ? 0o711 : 0o700))
        #expect(chmod(base + "/a/b", 0o777) == 0)
        #expect(throws: RuntimeError.self) { try ContainerStateStore(root: base + "/a/b") }
        #expect(throws: RuntimeError.self) { try ContainerStateStore(root: "relative/root") }
    }

    @Test func defaultRootFollowsTheDesign() {
        #expect(ContainerStateStore.defaultRoot(euid: 0, xdgRuntimeDir: "/run/user/0") == "/run/silo")
        #expect(ContainerStateStore.defaultRoot(euid: 1000, xdgRuntimeDir: "/run/user/1000") == "/run/user/1000/silo")
        #expect(ContainerStateStore.defaultRoot(euid: 1000, xdgRuntimeDir: nil) == "/tmp/silo-1000")
        #expect(ContainerStateStore.defaultRoot(euid: 1000, xdgRuntimeDir: "relative") == "/tmp/silo-1000")
    }

    @Test(arguments: ["a", "web-1", "a.b_c+d", "a,b", "A9", String(repeating: "x", count: 1024)])
    func validIDs(_ id: String) throws {
        try ContainerStateStore.validate(id: id)
    }

    @Test(arguments: ["", ".", "..", "a/b", "../x", "a b", "a\nb", "é", "a:b", "a*", String(repeating: "x", count: 1025)])
    func invalidIDs(_ id: String) {
        #expect(throws: RuntimeError.self) { try ContainerStateStore.validate(id: id) }
    }

    @Test func createClaimsOnceAndUnknownIDsDoNotExist() throws {
        let base = StateTestSupport.tempDir("claim")
        defer { StateTestSupport.removeTree(base) }
        let store = try ContainerStateStore(root: base)
        try store.create(id: "c1")
        #expect(StateTestSupport.mode(base + "/c1") == 0o711)
        let again = #expect(throws: RuntimeError.self) { try store.create(id: "c1") }
        #expect(again?.message == "container with given ID already exists")
        let missing = #expect(throws: RuntimeError.self) { try store.load(id: "nope") }
        #expect(missing?.message == "container \"nope\" does not exist")
        let gone = #expect(throws: RuntimeError.self) { try store.remove(id: "nope") }
        #expect(gone?.message == "container \"nope\" does not exist")
        // Half-made: the directory without state.json loads as nil (status creating).
        #expect(try store.load(id: "c1") == nil)
    }

    @Test func saveIsAtomicAndRoundTrips() throws {
        let base = StateTestSupport.tempDir("save")
        defer { StateTestSupport.removeTree(base) }
        let store = try ContainerStateStore(root: base)
        try store.create(id: "c2")
        var rec = ContainerRecord(id: "c2", status: .created, pid: 4242, pidStartTime: 987654321012, bundle: "/b",
                                  rootfs: "/b/rootfs", created: "2026-12-04T22:31:19.5Z", owner: 0)
        rec.annotations = ["org.x": "y \"quoted\""]
        rec.cgroupPaths = ["": "/sys/fs/cgroup/unified/silo/c2"]
        rec.idSlot = 3
        rec.network = ["veth": "silo-c2"]
        rec.namespaces = ["mnt", "pid"]
        rec.name = "web"
        rec.command = ["/bin/sh", "-c", "x"]
        rec.exitStatus = 0
        rec.monitorPid = 77
        try store.save(rec)
        #expect(try store.load(id: "c2") == rec)
        #expect(StateTestSupport.mode(base + "/c2/state.json") == 0o600)
        #expect(!FileManager.default.fileExists(atPath: base + "/c2/.state.json.tmp"))
        rec.status = .running
        try store.save(rec)
        #expect(try store.load(id: "c2")?.status == .running)
        // The OCI view: runc's members, pid gone once stopped.
        #expect(rec.ociState(status: .running).json.encoded()
            == #"{"ociVersion":"\#(rec.ociVersion)","id":"c2","status":"running","pid":4242,"bundle":"/b","annotations":{"org.x":"y \"quoted\""}}"#)
        #expect(rec.ociState(status: .stopped).pid == nil)
        // state.json is a superset of the OCI state: OCI readers take it as it is.
        let asOCI = try OCIState.parse(rec.encoded)
        #expect(asOCI == rec.ociState(status: .running))
    }

    @Test func aCorruptRecordIsAnErrorNamingTheFile() throws {
        let base = StateTestSupport.tempDir("corrupt")
        defer { StateTestSupport.removeTree(base) }
        let store = try ContainerStateStore(root: base)
        try store.create(id: "c3")
        try #"{"id":"c3","status":"running","pid":"x","bundle":"/b"}"#.write(toFile: base + "/c3/state.json", atomically: true, encoding: .utf8)
        let e = #expect(throws: RuntimeError.self) { try store.load(id: "c3") }
        #expect(e?.message == "state file \(base)/c3/state.json: .pid: expected a number, found string")
        let listed = try store.list()
        #expect(listed.map(\.id) == ["c3"])
        #expect(listed.first?.problem != nil)
    }

    @Test func listShowsHalfMadeContainersAndSkipsReservedNames() throws {
        let base = StateTestSupport.tempDir("list")
        defer { StateTestSupport.removeTree(base) }
        let store = try ContainerStateStore(root: base)
        for id in ["b", "a"] { try store.create(id: id) }
        try store.save(ContainerRecord(id: "b", status: .stopped, bundle: "/b"))
        try FileManager.default.createDirectory(atPath: base + "/idslots", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: base + "/.hidden", withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: base + "/plainfile", contents: Data())
        let entries = try store.list()
        #expect(entries.map(\.id) == ["a", "b"])
        #expect(entries[0].record == nil && entries[0].problem == nil)
        #expect(entries[1].record?.status == .stopped)
    }

    @Test func removeTakesLeftoversAndDoesNotFollowLinks() throws {
        let base = StateTestSupport.tempDir("remove")
        defer { StateTestSupport.removeTree(base) }
        let outside = base + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: outside + "/keep", contents: Data("x".utf8))
        let store = try ContainerStateStore(root: base + "/root")
        try store.create(id: "c4")
        let dir = store.directory(of: "c4")
        _ = FileManager.default.createFile(atPath: dir + "/.state.json.tmp", contents: Data("{".utf8))
        try store.makeExecFifo(id: "c4")
        try FileManager.default.createDirectory(atPath: dir + "/notify/deeper", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: dir + "/notify/link", withDestinationPath: outside)
        #expect(chmod(dir + "/notify/deeper", 0o500) == 0)
        try store.remove(id: "c4")
        #expect(!FileManager.default.fileExists(atPath: dir))
        #expect(FileManager.default.fileExists(atPath: outside + "/keep"))
    }

    @Test func theLockExcludesOthersAndFailsOnceTheContainerIsGone() throws {
        let base = StateTestSupport.tempDir("lock")
        defer { StateTestSupport.removeTree(base) }
        let store = try ContainerStateStore(root: base)
        try store.create(id: "c5")
        let other = open(store.directory(of: "c5"), O_RDONLY | O_DIRECTORY)
        defer { close(other) }
        try store.withLock(id: "c5") {
            #expect(flock(other, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
        }
        #expect(flock(other, LOCK_EX | LOCK_NB) == 0)
        #expect(flock(other, LOCK_UN) == 0)
        let e = #expect(throws: RuntimeError.self) { try store.withLock(id: "nope") {} }
        #expect(e?.message == "container \"nope\" does not exist")
    }

    /// A second silo that blocks on the lock while the holder deletes the container must not go
    /// on with a directory that is gone.
    @Test func aWaiterFindsTheContainerGoneOnceTheHolderDeletedIt() throws {
        let base = StateTestSupport.tempDir("lockwait")
        defer { StateTestSupport.removeTree(base) }
        let store = try ContainerStateStore(root: base)
        try store.create(id: "c6")
        let held = try store.lock(id: "c6")
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var waiterResult = "none"
        let waiter = Thread {
            do {
                try store.withLock(id: "c6") { waiterResult = "got the lock" }
            } catch {
                waiterResult = (error as? RuntimeError)?.message ?? "\(error)"
            }
            done.signal()
        }
        waiter.start()
        usleep(200_000)  // the waiter has opened the directory and blocks in flock
        #expect(waiterResult == "none")
        try store.remove(id: "c6")
        close(held)
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(waiterResult == "container \"c6\" does not exist")
    }

    @Test func pidFileHoldsBareDigitsAndLeavesNoTempFile() throws {
        let base = StateTestSupport.tempDir("pidfile")
        defer { StateTestSupport.removeTree(base) }
        _ = FileManager.default.createFile(atPath: base + "/.pid.tmp", contents: Data("stale".utf8))
        try ContainerStateStore.writePidFile(base + "/pid", pid: 12345)
        #expect(try Data(contentsOf: URL(fileURLWithPath: base + "/pid")) == Data("12345".utf8))
        try ContainerStateStore.writePidFile(base + "/pid", pid: 7)
        #expect(try Data(contentsOf: URL(fileURLWithPath: base + "/pid")) == Data("7".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: base) == ["pid"])
        #expect(throws: RuntimeError.self) { try ContainerStateStore.writePidFile(base + "/no/dir/pid", pid: 1) }
    }

    @Test func timestampsAreRFC3339NanoUTC() {
        #expect(ContainerRecord.timestamp(timespec(tv_sec: 0, tv_nsec: 0)) == "1970-01-01T00:00:00Z")
        #expect(ContainerRecord.timestamp(timespec(tv_sec: 1796423479, tv_nsec: 120_000_000)) == "2026-12-04T22:31:19.12Z")
        #expect(ContainerRecord.timestamp(timespec(tv_sec: 1796423479, tv_nsec: 5)) == "2026-12-04T22:31:19.000000005Z")
    }
}
