import Foundation
import Testing
@testable import SiloKit

/// Issue 18 item 4: the id slot lock lives in the file system, not in a network namespace.
@Suite(.serialized) struct IDSlotLockTests {
    @Test func twoHoldersGetDifferentSlotsAndAClosedSlotIsFreeAgain() throws {
        let dir = NSTemporaryDirectory() + "sec-ids-slots-\(getpid())/idslots"
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        let a = try IDRangeLock.acquire(directory: dir)
        let b = try IDRangeLock.acquire(directory: dir)
        #expect(a.mapping.uids.host != b.mapping.uids.host)
        let attrs = try FileManager.default.attributesOfItem(atPath: dir)
        #expect((attrs[.posixPermissions] as? Int) == 0o700)
        close(a.fd)
        let c = try IDRangeLock.acquire(directory: dir)
        #expect(c.mapping.uids.host == a.mapping.uids.host)
        close(b.fd)
        close(c.fd)
    }

    @Test func aDirectoryOthersCanWriteIsRefused() throws {
        let dir = NSTemporaryDirectory() + "sec-ids-slots-open-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(chmod(dir, 0o777) == 0)
        #expect(throws: RuntimeError.self) { try IDRangeLock.acquire(directory: dir) }
    }
}
