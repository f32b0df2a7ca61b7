import Foundation
import Testing
import SiloSys
@testable import SiloKit

/// The parts of `silo run -d` that need no container: the capped log, names and prefixes, the
/// status text, the record's new fields, the monitor's page drop.
@Suite(.serialized) struct DetachedUnitTests {
    @Test func logRotatesAtTheCapAndTails() throws {
        let dir = StateTestSupport.tempDir("log")
        defer { StateTestSupport.removeTree(dir) }
        var log = try ContainerLog(directory: dir, limit: 4096)
        for i in 0..<300 {
            let line = Array("line \(i) ..........\n".utf8)
            line.withUnsafeBytes { log.append($0) }
        }
        log.closeFile()
        let size = { (p: String) in (try? FileManager.default.attributesOfItem(atPath: p)[.size] as? Int) ?? -1 }
        #expect(size(dir + "/container.log") <= 4096 && size(dir + "/container.log") > 0)
        #expect(size(dir + "/container.log.1") <= 4096 && size(dir + "/container.log.1") > 0)
        let all = String(decoding: ContainerLog.read(directory: dir), as: UTF8.self)
        #expect(all.hasSuffix("line 299 ..........\n"))
        // Whole lines only: the rotation happens between writes, never inside one.
        #expect(all.split(separator: "\n").allSatisfy { $0.hasPrefix("line ") && $0.hasSuffix("..........") })
        #expect(String(decoding: ContainerLog.read(directory: dir, tail: 2), as: UTF8.self) == "line 298 ..........\nline 299 ..........\n")
        #expect(ContainerLog.read(directory: dir, tail: 0).isEmpty)

        // One chunk of 10 KiB through the 4 KiB cap: cut into 4 + 4 + 2 KiB, the last two kept.
        let bigDir = dir + "/big"
        mkdir(bigDir, 0o700)
        var big = try ContainerLog(directory: bigDir, limit: 4096)
        let chunk = (0..<10240).map { UInt8(0x30 + $0 % 10) }
        chunk.withUnsafeBytes { big.append($0) }
        big.closeFile()
        #expect(size(bigDir + "/container.log") <= 4096 && size(bigDir + "/container.log.1") <= 4096)
        let kept = ContainerLog.read(directory: bigDir)
        #expect(kept.count == 6144 && kept == Array(chunk[4096...]), "kept \(kept.count) bytes")
    }

    /// `logs -t`: a line gets the time of the chunk its first byte came in; across the rotated
    /// and the current file; a torn last entry is skipped; no times file, no stamps.
    @Test func timestampsStampEachLineWhereItStarts() throws {
        let dir = StateTestSupport.tempDir("times")
        defer { StateTestSupport.removeTree(dir) }
        try "r1\n".write(toFile: dir + "/container.log.1", atomically: false, encoding: .utf8)
        try "0 5\n".write(toFile: dir + "/container.log.1.times", atomically: false, encoding: .utf8)
        try "a\nbc\nd\n".write(toFile: dir + "/container.log", atomically: false, encoding: .utf8)
        try "0 1796441785120715418\n3 1796441786000000000\n5 1796441787000000007\n5 17".write(toFile: dir + "/container.log.times", atomically: false, encoding: .utf8)
        let stamped = String(decoding: ContainerLog.read(directory: dir, timestamps: true), as: UTF8.self)
        #expect(stamped == """
            1970-01-01T00:00:00.000000005Z r1
            2026-12-05T03:36:25.120715418Z a
            2026-12-05T03:36:25.120715418Z bc
            2026-12-05T03:36:27.000000007Z d

            """, "\(stamped)")
        #expect(String(decoding: ContainerLog.read(directory: dir, tail: 1, timestamps: true), as: UTF8.self) == "2026-12-05T03:36:27.000000007Z d\n")
        var split = ContainerLogTimes.Stamper(times: ContainerLogTimes.load(dir + "/container.log"))
        let first = split.stamp(Array("a\nb".utf8)[...], at: 0), rest = split.stamp(Array("c\n".utf8)[...], at: 4)
        #expect(String(decoding: first + rest, as: UTF8.self) == "2026-12-05T03:36:25.120715418Z a\n2026-12-05T03:36:25.120715418Z bc\n")
        unlink(dir + "/container.log.times")
        unlink(dir + "/container.log.1.times")
        #expect(String(decoding: ContainerLog.read(directory: dir, timestamps: true), as: UTF8.self) == "r1\na\nbc\nd\n")
    }

    @Test func tailCountsALastLineWithoutNewline() throws {
        let dir = StateTestSupport.tempDir("tail")
        defer { StateTestSupport.removeTree(dir) }
        try "a\nb\nc".write(toFile: dir + "/container.log", atomically: false, encoding: .utf8)
        #expect(String(decoding: ContainerLog.read(directory: dir, tail: 1), as: UTF8.self) == "c")
        #expect(String(decoding: ContainerLog.read(directory: dir, tail: 2), as: UTF8.self) == "b\nc")
        #expect(String(decoding: ContainerLog.read(directory: dir, tail: 9), as: UTF8.self) == "a\nb\nc")
    }

    @Test func namesFollowDockersRule() throws {
        for good in ["web", "a", "web-1.x_y", "A9"] { try ContainerLookup.validate(name: good) }
        for bad in ["", "-web", ".x", "we b", "wé", String(repeating: "a", count: 129), String(repeating: "ab", count: 32)] {
            #expect(throws: RuntimeError.self, "\(bad)") { try ContainerLookup.validate(name: bad) }
        }
        #expect(ContainerLookup.newID().count == 64 && ContainerLookup.newID() != ContainerLookup.newID())
    }

    func record(_ id: String, name: String?, run: Bool) -> ContainerRecord {
        var r = ContainerRecord(id: id, status: .stopped, bundle: run ? "" : "/b")
        r.name = name
        if run { r.kind = "run" }
        return r
    }

    @Test func idsNamesAndPrefixes() throws {
        let dir = StateTestSupport.tempDir("lookup")
        defer { StateTestSupport.removeTree(dir) }
        chmod(dir, 0o711)
        let store = try ContainerStateStore(root: dir)
        try ContainerLookup.claim(record("abc111", name: "web", run: true), in: store)
        try ContainerLookup.claim(record("abc222", name: nil, run: true), in: store)
        try ContainerLookup.claim(record("oci333", name: nil, run: false), in: store)
        #expect(try ContainerLookup.resolve("abc111", in: store) == "abc111")
        #expect(try ContainerLookup.resolve("web", in: store) == "abc111")
        #expect(try ContainerLookup.resolve("abc2", in: store) == "abc222")
        #expect(try ContainerLookup.resolve("oci333", in: store) == "oci333")
        // An OCI bundle's container is its engine's: never found by a prefix.
        #expect(throws: RuntimeError.self) { try ContainerLookup.resolve("oci", in: store) }
        do {
            _ = try ContainerLookup.resolve("abc", in: store)
            Issue.record("an ambiguous prefix was resolved")
        } catch {
            #expect(error.message.contains("ambiguous") && error.message.contains("2 containers"))
        }
        do {
            try ContainerLookup.claim(record("def444", name: "web", run: true), in: store)
            Issue.record("a second container got the name web")
        } catch {
            #expect(error.message.contains("already in use"))
        }
        #expect(!store.exists(id: "def444"))
        // A name that is an existing container's id is refused; a bundle created later with a
        // run container's name as its id makes that word ambiguous, never silently the bundle's.
        #expect(throws: RuntimeError.self) { try ContainerLookup.claim(record("def555", name: "oci333", run: true), in: store) }
        try ContainerLookup.claim(record("web", name: nil, run: false), in: store)
        do {
            _ = try ContainerLookup.resolve("web", in: store)
            Issue.record("a word that is an id and a name was resolved")
        } catch {
            #expect(error.message.contains("both a container's id and container abc111's name"))
        }
        try DirectoryRemoval.remove(dir + "/web")
        // The directories silo run keeps in the same root are not containers.
        for d in ["cgroups", "labs", "idslots"] { mkdir(dir + "/" + d, 0o700) }
        #expect(try store.list().map(\.id) == ["abc111", "abc222", "oci333"])
    }

    @Test func statusTextAndTimes() throws {
        #expect(DetachedStatus.seconds("1970-01-01T00:01:40Z") == 100)
        #expect(DetachedStatus.seconds("2026-12-05T01:02:03.456789Z") == 1_796_432_523)
        #expect(DetachedStatus.seconds("garbage") == nil)
        #expect(DetachedStatus.duration(0) == "Less than a second")
        #expect(DetachedStatus.duration(1) == "1 second")
        #expect(DetachedStatus.duration(150) == "2 minutes")
        var r = record("x", name: nil, run: true)
        r.started = "1970-01-01T00:00:00Z"
        r.finished = "1970-01-01T00:00:30Z"
        r.exitStatus = 3
        let exited = DetachedStatus(id: "x", record: r, state: .exited, exitStatus: 3, monitorAlive: false)
        #expect(exited.text(now: 90) == "Exited (3) 1 minute ago")
        #expect(exited.uptime(now: 90) == 30)
        let lost = DetachedStatus(id: "x", record: r, state: .exited, exitStatus: nil, monitorAlive: false)
        #expect(lost.text(now: 90) == "Exited (unknown: monitor gone)")
        let up = DetachedStatus(id: "x", record: r, state: .running, exitStatus: nil, monitorAlive: true)
        #expect(up.text(now: 7200) == "Up 2 hours" && up.uptime(now: 7200) == 7200)
    }

    /// A record whose command and monitor are gone (a crash, a reboot) reads as exited, never
    /// as running or creating.
    @Test func aDeadMonitorReadsAsExited() throws {
        let dir = StateTestSupport.tempDir("dead")
        defer { StateTestSupport.removeTree(dir) }
        chmod(dir, 0o711)
        let store = try ContainerStateStore(root: dir)
        let pid = StateTestSupport.spawn(["/bin/true"])
        StateTestSupport.reap(pid)
        var r = record("gone", name: nil, run: true)
        r.status = .creating
        r.monitorPid = pid
        try ContainerLookup.claim(r, in: store)
        #expect(DetachedStatus.of("gone", record: r, store: store).state == .exited)
        r.status = .running
        r.pid = pid
        r.pidStartTime = 1
        #expect(DetachedStatus.of("gone", record: r, store: store).state == .exited)
        // A live monitor with no command yet: still being created.
        r.pid = nil
        r.status = .creating
        r.monitorPid = getpid()
        r.monitorStartTime = try ProcStat.read(getpid()).startTime
        #expect(DetachedStatus.of("gone", record: r, store: store).state == .creating)
    }

    @Test func recordKeepsTheDetachedFields() throws {
        var r = record("id1", name: "web", run: true)
        r.command = ["sleep", "1"]
        r.monitorPid = 42
        r.monitorStartTime = 7
        r.started = "2026-12-05T00:00:00Z"
        r.finished = "2026-12-05T00:00:01Z"
        r.exitStatus = 137
        let back = try ContainerRecord.decode(r.encoded)
        #expect(back == r && back.isRun)
        #expect(try !ContainerRecord.decode(record("id2", name: nil, run: false).encoded).isRun)
    }

    /// The page drop gives back mapped pages of the test binary and leaves the process working
    /// (it runs Swift code, allocates and reads its data after).
    @Test func droppingCleanFilePagesKeepsTheProcessWhole() throws {
        let rss = { () -> Int in
            let s = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let line = s.split(separator: "\n").first { $0.hasPrefix("RssFile:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        let before = rss()
        let dropped = ProcessMappings.dropCleanFilePages()
        #expect(dropped > 0)
        #expect(rss() < before)
        let words = (0..<1000).map { "w\($0)" }.joined(separator: ",")
        #expect(words.split(separator: ",").count == 1000)
    }
}
