import Foundation
import Testing
@testable import SiloKit
import SiloSys

/// Issue 18 items 1, 3, 13: ids the maps do not hold, maps the kernel would refuse, and the
/// rootfs's passwd and group files read as host root.
@Suite struct IDMapValidationTests {
    func map(_ uids: [IDMapping], _ gids: [IDMapping]? = nil) -> IDMap { IDMap(uids: uids, gids: gids ?? uids) }
    func message(_ body: () throws(RuntimeError) -> Void) -> String? {
        do { try body() } catch { return error.message }
        return nil
    }

    @Test(arguments: [
        ("0:1:4294967295", "--uid-map 0:1:4294967295: host ids 1+4294967295 run past 4294967294"),
        ("1:0:4294967295", "--uid-map 1:0:4294967295: container ids 1+4294967295 run past 4294967294"),
        ("0:4294967295:1", "--uid-map 0:4294967295:1: host ids 4294967295+1 run past"),
        ("0:100000:0", "--uid-map 0:100000:0: SIZE must be at least 1"),
        ("0:100000:4294967296", "--uid-map 0:100000:4294967296: expected CONTAINER:HOST:SIZE"),
        ("-1:100000:1", "--uid-map -1:100000:1: expected CONTAINER:HOST:SIZE"),
    ])
    func parsingRefusesWhatTheKernelWouldWithTheOptionNamed(_ text: String, _ expected: String) {
        let m = message { () throws(RuntimeError) in _ = try IDMapping(parsing: text) }
        #expect(m?.hasPrefix(expected) == true, "\(m ?? "accepted")")
    }

    @Test func parsingAcceptsTheLargestValidRanges() throws {
        #expect(try IDMapping(parsing: "0:1:4294967294") == IDMapping(container: 0, host: 1, size: 4_294_967_294))
        #expect(try IDMapping(parsing: "4294967294:1:1") == IDMapping(container: 4_294_967_294, host: 1, size: 1))
        let g = message { () throws(RuntimeError) in _ = try IDMapping(parsing: "x", option: "--gid-map") }
        #expect(g?.hasPrefix("--gid-map x:") == true)
    }

    @Test func validateNamesTheOptionAndTheRule() {
        let good = IDMapping(container: 0, host: 100_000, size: 65536)
        // Ranges that end at 2^32-1 once trapped the overlap test's 32-bit sum.
        let top = IDMapping(container: 4_294_967_286, host: 4_294_967_286, size: 9)
        #expect(message { () throws(RuntimeError) in try map([good, top]).validate() } == nil)
        let wrap = IDMapping(container: 4_294_967_286, host: 200_000, size: 10)
        #expect(message { () throws(RuntimeError) in try map([good, wrap]).validate() }?.contains("runs past 4294967294") == true)
        let overlapC = IDMapping(container: 10, host: 900_000, size: 5)
        #expect(message { () throws(RuntimeError) in try map([good, overlapC]).validate() }
            == "--uid-map: 0:100000:65536 and 10:900000:5 overlap in container ids")
        let overlapH = IDMapping(container: 70000, host: 100_010, size: 5)
        #expect(message { () throws(RuntimeError) in try map([good], [good, overlapH]).validate() }
            == "--gid-map: 0:100000:65536 and 70000:100010:5 overlap in host ids")
        let zero = IDMapping(container: 0, host: 100_000, size: 0)
        #expect(message { () throws(RuntimeError) in try map([zero]).validate() }?.contains("SIZE must be at least 1") == true)
        let hostRoot = IDMapping(container: 0, host: 0, size: 1)
        #expect(message { () throws(RuntimeError) in try map([hostRoot]).validate() }?.contains("must not map to host root") == true)
        let noRoot = IDMapping(container: 1, host: 100_000, size: 10)
        #expect(message { () throws(RuntimeError) in try map([noRoot]).validate() }?.contains("container id 0 must be mapped") == true)
        #expect(message { () throws(RuntimeError) in try map([]).validate() } == "--uid-map: empty map")
    }

    @Test func validateKeepsToTheKernelsLineAndByteLimits() {
        let many = (0..<341).map { IDMapping(container: UInt32($0), host: 100_000 + UInt32($0), size: 1) }
        #expect(message { () throws(RuntimeError) in try map(many).validate() }?.contains("at most 340") == true)
        // 200 lines of ~30 bytes: under 340 lines, over the page the kernel takes in one write.
        let long = (0..<200).map { IDMapping(container: 1_000_000_000 + UInt32($0) * 10, host: 3_000_000_000 + UInt32($0) * 10, size: 10) }
            + [IDMapping(container: 0, host: 100, size: 1)]
        #expect(message { () throws(RuntimeError) in try map(long).validate() }?.contains("4095 bytes") == true)
        let fits = (0..<100).map { IDMapping(container: UInt32($0), host: 100_000 + UInt32($0), size: 1) }
        #expect(message { () throws(RuntimeError) in try map(fits).validate() } == nil)
    }

    @Test func aSubordinateRangePastTheTopIsCutAndEverySlotIsAValidMap() throws {
        let r = try #require(HostIDRange.fromSubordinateFile("root:4294000000:10000000\n"))
        #expect(r.start == 4_294_000_000 && r.count == 967_294)
        for slot in 0..<r.slots {
            let m = r.mapping(slot: slot)
            try IDMap(uids: [m], gids: [m]).validate()
        }
        #expect(HostIDRange.fromSubordinateFile("root:4294967295:1\n") == nil)
    }

    @Test func hostLookupOfAnUnvalidatedMapDoesNotTrap() {
        #expect(IDMap.host(for: 5, in: [IDMapping(container: 0, host: 4_294_967_295, size: 10)]) != nil)
        #expect(IDMap.host(for: 4_294_967_295, in: [IDMapping(container: 0, host: 1, size: 4_294_967_295)]) == nil)
    }
}

@Suite struct UserMappingTests {
    let idmap = IDMap(uids: [IDMapping(container: 0, host: 600_113_152, size: 65536)],
                      gids: [IDMapping(container: 0, host: 600_113_152, size: 65536)])
    let passwd = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\nneg:x:4294967295:0::/:/bin/sh\n"
    let group = "root:x:0:\nusers:x:100:user\nbig:x:70000:user\n"

    func check(_ spec: String) -> String? {
        do {
            let u = try UserSpec.resolve(spec, passwd: passwd, group: "root:x:0:\nusers:x:100:user\n")
            try u.checkMapped(in: idmap, option: spec)
        } catch { return error.message }
        return nil
    }

    @Test(arguments: [
        ("4294967295", "--user 4294967295: uid 4294967295 is not mapped in the container (uid map: 0:600113152:65536)"),
        ("1000:4294967295", "--user 1000:4294967295: gid 4294967295 is not mapped in the container (gid map: 0:600113152:65536)"),
        ("0:4294967295", "--user 0:4294967295: gid 4294967295 is not mapped in the container (gid map: 0:600113152:65536)"),
        ("4294967294", "--user 4294967294: uid 4294967294 is not mapped in the container (uid map: 0:600113152:65536)"),
        ("65536:0", "--user 65536:0: uid 65536 is not mapped in the container (uid map: 0:600113152:65536)"),
        ("0:65536", "--user 0:65536: gid 65536 is not mapped in the container (gid map: 0:600113152:65536)"),
        ("neg", "--user neg: uid 4294967295 is not mapped in the container (uid map: 0:600113152:65536)"),
    ])
    func unmappedIdsAreRefused(_ spec: String, _ expected: String) {
        #expect(check(spec) == expected)
    }

    @Test(arguments: ["0", "root", "1000", "user", "65535:65535", "user:users", "1000:0"])
    func mappedIdsPass(_ spec: String) {
        #expect(check(spec) == nil)
    }

    @Test func anUnmappedSupplementaryGroupIsRefused() throws {
        let u = try UserSpec.resolve("user", passwd: passwd, group: group)
        #expect(u.groups == [100, 70000])
        let e = #expect(throws: RuntimeError.self) { try u.checkMapped(in: idmap, option: "user") }
        #expect(e?.message == "--user user: supplementary group 70000 is not mapped in the container (gid map: 0:600113152:65536)")
    }
}

/// RootfsFile against a real directory tree: the kernel's RESOLVE_IN_ROOT does the work.
@Suite(.serialized) struct RootfsFileTests {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "sec-ids-rootfsfile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: root + "/etc/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/real", withIntermediateDirectories: true)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: root) }

    func read(_ path: String, limit: Int = RootfsFile.sizeLimit) -> Result<String?, RuntimeError> {
        do throws(RuntimeError) { return .success(try RootfsFile.read(path, in: root, limit: limit)) } catch { return .failure(error) }
    }

    @Test func regularFilesAndLinksInsideTheRootAreRead() throws {
        defer { cleanup() }
        try "root:x:0:0::/root:/bin/sh\n".write(toFile: root + "/real/passwd", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/passwd", withDestinationPath: "/real/passwd")
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/group", withDestinationPath: "../real/passwd")
        #expect(try read("etc/passwd").get() == "root:x:0:0::/root:/bin/sh\n")
        #expect(try read("etc/group").get() == "root:x:0:0::/root:/bin/sh\n")
        #expect(try read("etc/missing").get() == nil)
    }

    @Test func anAbsoluteLinkResolvesInsideTheRootNotOnTheHost() throws {
        defer { cleanup() }
        // /etc/hostname exists on the host but not in this root: the link names nothing.
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/passwd", withDestinationPath: "/etc/hostname")
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/group", withDestinationPath: "../../../../../../etc/hostname")
        #expect(FileManager.default.fileExists(atPath: "/etc/hostname"))
        #expect(try read("etc/passwd").get() == nil)
        #expect(try read("etc/group").get() == nil)
    }

    @Test func aFIFOIsRefusedWithoutBlocking() throws {
        defer { cleanup() }
        #expect(mkfifo(root + "/etc/passwd", 0o644) == 0)
        let start = Date()
        guard case .failure(let e) = read("etc/passwd") else { Issue.record("a FIFO was read"); return }
        #expect(e.message == "rootfs \(root)/etc/passwd: not a regular file (a FIFO)")
        #expect(Date().timeIntervalSince(start) < 2)
    }

    @Test func aDirectoryAndAMagicLinkAreRefused() throws {
        defer { cleanup() }
        guard case .failure(let d) = read("etc/sub") else { Issue.record("a directory was read"); return }
        #expect(d.message.hasSuffix("not a regular file (a directory)"))
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/passwd", withDestinationPath: "/proc/self/root/etc/hostname")
        // In the root, /proc/self does not exist: nothing there. The magic link itself, as a
        // path from the host's /proc, is refused by RESOLVE_NO_MAGICLINKS.
        #expect(try read("etc/passwd").get() == nil)
    }

    @Test func aFileOverTheLimitIsRefused() throws {
        defer { cleanup() }
        try String(repeating: "x", count: 2 << 20).write(toFile: root + "/etc/passwd", atomically: false, encoding: .utf8)
        guard case .failure(let e) = read("etc/passwd", limit: 1 << 20) else { Issue.record("an oversized file was read"); return }
        #expect(e.message == "rootfs \(root)/etc/passwd: larger than 1 MiB")
        #expect(try read("etc/passwd").get()?.utf8.count == 2 << 20)
    }

    @Test func userResolutionNamesTheOption() throws {
        defer { cleanup() }
        #expect(mkfifo(root + "/etc/group", 0o644) == 0)
        let e = #expect(throws: RuntimeError.self) { try UserSpec.resolve("1000", rootfs: root) }
        #expect(e?.message == "--user 1000: rootfs \(root)/etc/group: not a regular file (a FIFO)")
        #expect(e.map { [.usage, .runtime].contains($0.code) } == true)
        #expect(try UserSpec.resolve(nil, rootfs: root).uid == 0)  // no --user: nothing read
    }
}
