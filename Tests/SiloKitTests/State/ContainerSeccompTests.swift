import Foundation
import SiloSpec
import SiloSys
import Testing

@testable import SiloKit

/// The record and state dir keep the container's seccomp filter for exec (docs/oci.md, "exec").
@Suite struct ContainerSeccompTests {
    static func store() throws -> (ContainerStateStore, String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("silo-seccomp-\(UUID().uuidString.prefix(8))").path
        mkdir(root, 0o711)
        return (try ContainerStateStore(root: root), root)
    }

    @Test func theRecordKeepsTheSource() throws {
        var rec = ContainerRecord(id: "c", status: .created, pid: 7, pidStartTime: 1, bundle: "/b")
        for source in [SeccompSource.unconfined, .builtIn, .stored] {
            rec.seccomp = source
            #expect(try ContainerRecord.decode(rec.encoded).seccomp == source)
        }
        #expect(String(decoding: rec.encoded, as: UTF8.self).contains(#""seccomp":"stored""#))
        let old = try ContainerRecord.decode(Array(#"{"id":"c","status":"created","bundle":"/b"}"#.utf8))
        #expect(old.seccomp == nil)
        #expect(throws: RuntimeError.self) { try ContainerRecord.decode(Array(#"{"id":"c","status":"created","bundle":"/b","seccomp":"lax"}"#.utf8)) }
    }

    @Test func execLoadsWhatCreateStored() throws {
        let (store, root) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try store.create(id: "c")
        var rec = ContainerRecord(id: "c", status: .created, pid: 7, pidStartTime: 1, bundle: "/b")
        let filter: [UInt8] = [6, 0, 0, 0, 0, 0, 0xff, 0x7f]  // BPF_RET|BPF_K SECCOMP_RET_ALLOW
        rec.seccomp = try store.saveSeccomp(filter, builtIn: false, id: "c")
        #expect(rec.seccomp == .stored)
        #expect(try store.seccompFilter(of: rec) == filter)
        // None, and silo's default (nothing written for either).
        rec.seccomp = try store.saveSeccomp(nil, builtIn: false, id: "c")
        #expect(rec.seccomp == .unconfined)
        #expect(try store.seccompFilter(of: rec) == nil)
        rec.seccomp = try store.saveSeccomp(filter, builtIn: true, id: "c")
        #expect(rec.seccomp == .builtIn)
        let builtIn = try DefaultSeccompProfile.bpf()
        #expect(try store.seccompFilter(of: rec) == builtIn)
        // A record from before the field: silo's default, as exec gave then.
        rec.seccomp = nil
        #expect(try store.seccompFilter(of: rec) == builtIn)
    }

    @Test func aDamagedFilterIsAnErrorNotAnOpenDoor() throws {
        let (store, root) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try store.create(id: "c")
        var rec = ContainerRecord(id: "c", status: .created, pid: 7, pidStartTime: 1, bundle: "/b")
        rec.seccomp = .stored
        #expect(throws: RuntimeError.self) { try store.seccompFilter(of: rec) }  // missing
        try [UInt8](repeating: 1, count: 5).withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: root + "/c/seccomp.bpf")) }
        #expect(throws: RuntimeError.self) { try store.seccompFilter(of: rec) }  // not whole instructions
    }
}
