#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// Time: the offsets silo set, and CLOCK_MONOTONIC and CLOCK_BOOTTIME on each side.
enum DemoTime {
    static let about = DemoSection.About(
        kind: .time, title: "Time namespace: the boot and monotonic clocks", cloneFlag: "CLONE_NEWTIME", since: "5.6 (2020)",
        text: "The time namespace gives CLOCK_MONOTONIC and CLOCK_BOOTTIME offsets of their own, so that a container moved to another machine keeps clocks that never jump back; the wall clock stays shared. It cannot be asked of clone() (0x80 there is part of the exit signal): silo calls unshare(CLONE_NEWTIME) just before execve, which the command then runs in.")

    /// The clocks inside the time namespace of `pid`: a child of the demo joins it with setns
    /// (a time namespace applies to the caller at once) and reads them with clock_gettime.
    static func clocks(in pid: pid_t) -> (monotonic: Int64, boottime: Int64)? {
        let bytes = DemoProbe.run {
            let fd = open("/proc/\(pid)/ns/time", O_RDONLY | O_CLOEXEC)
            guard fd >= 0, (try? NamespaceFile.enter(fd, .time, name: "time")) != nil else { return [] }
            let now = DemoClock.now()
            var out: [UInt8] = []
            out.appendLE(UInt64(bitPattern: now.monotonic))
            out.appendLE(UInt64(bitPattern: now.boottime))
            return out
        }
        guard let bytes, bytes.count == 16 else { return nil }
        return (Int64(bitPattern: bytes.loadLE(UInt64.self, at: 0)), Int64(bitPattern: bytes.loadLE(UInt64.self, at: 8)))
    }

    static func offsets(_ lines: [String]?) -> [String]? {
        lines.map { $0.map { $0.split(separator: " ").joined(separator: " ") } }
    }

    static func run(_ ctx: DemoContext) -> DemoSection {
        var s = DemoSection(about, shared: ctx.shared.contains(.time))
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/time")
        script.block("offsets", "cat /proc/self/timens_offsets")
        script.block("uptime", "cat /proc/uptime")
        script.waitForHost()

        var host = (monotonic: Int64(0), boottime: Int64(0))
        var inside: (monotonic: Int64, boottime: Int64)?
        var hostUptime: String?
        guard let r = ctx.run(&s, script, configure: { $0.timeOffset = (ctx.timeOffset, ctx.timeOffset) }, whileRunning: { pid, _ in
            host = DemoClock.now()
            inside = clocks(in: pid)
            hostUptime = try? FileIO.read("/proc/uptime").split(separator: "\n").first.map(String.init)
        }) else { return s }
        let b = r.blocks
        let want = ctx.timeOffset
        s.identityRows(r)
        s.row("offsets", "timens_offsets", host: offsets((try? FileIO.read("/proc/self/timens_offsets")).map { $0.split(separator: "\n").map(String.init) }), container: offsets(b["offsets"]))
        s.row("monotonic", "CLOCK_MONOTONIC", host: DemoFormat.seconds(host.monotonic), container: inside.map { DemoFormat.seconds($0.monotonic) })
        s.row("boottime", "CLOCK_BOOTTIME", host: DemoFormat.seconds(host.boottime), container: inside.map { DemoFormat.seconds($0.boottime) })
        s.row("uptime", "/proc/uptime", host: hostUptime, container: b.first("uptime"))
        s.notes.append((s.shared ? "With --share time silo leaves the time namespace alone: the offset of \(want) s is not applied." : "silo set an offset of \(want) s (--time-offset).") + " The container's clocks were read by a child of silo that joined its time namespace with setns(2); /proc/uptime on the right is busybox's reading from inside.")

        let evidence: DemoSection.Evidence
        let tolerance: Int64 = 5_000_000_000
        if let inside {
            let dm = inside.monotonic - host.monotonic, db = inside.boottime - host.boottime
            let wantNs = want * 1_000_000_000
            if abs(dm - wantNs) < tolerance && abs(db - wantNs) < tolerance {
                evidence = .isolated("both clocks run \(want) s ahead inside, as silo set them, while the host's are unchanged")
            } else if abs(dm) < tolerance && abs(db) < tolerance {
                evidence = .shared("the container reads the host's clocks (no offset)")
            } else {
                evidence = .failed("offsets of \(DemoFormat.fixed(Double(dm) / 1e9, 1)) s and \(DemoFormat.fixed(Double(db) / 1e9, 1)) s inside, \(want) s asked for")
            }
        } else {
            evidence = .failed("cannot join the container's time namespace to read its clocks")
        }
        s.decide(hostNamespace: ProcFS.namespace("time"), containerNamespace: b.first("ns"), evidence)
        return s
    }
}
