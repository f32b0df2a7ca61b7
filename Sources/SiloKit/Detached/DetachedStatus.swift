#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// What `silo ps` and `inspect` say a container is, from its record and the kernel, never from
/// the record alone: a monitor or command killed with SIGKILL, or a state directory that
/// outlived a reboot, reads as what is true now.
public struct DetachedStatus: Sendable {
    public enum State: String, Sendable {
        /// The monitor is still starting it.
        case creating
        case running, paused
        /// The command has exited and its status was recorded (`exitStatus`), or its monitor
        /// was killed and nobody saw the status (`exitStatus` nil).
        case exited
    }

    public var id: String
    public var record: ContainerRecord?
    public var state: State
    public var exitStatus: Int32?
    /// Whether the monitor process lives (checked by pidfd and start time).
    public var monitorAlive: Bool

    public static func of(_ id: String, record: ContainerRecord?, store: ContainerStateStore) -> DetachedStatus {
        let monitor = record.map(openMonitor) ?? nil
        let alive = monitor != nil
        let oci = (try? ContainerLiveness.status(of: record, in: store, id: id, isFrozen: ContainerCgroup.isFrozen(id: id))) ?? .stopped
        var s = DetachedStatus(id: id, record: record, state: .exited, exitStatus: record?.exitStatus, monitorAlive: alive)
        switch oci {
        case .running: s.state = .running
        case .paused: s.state = .paused
        case .created, .creating: s.state = alive ? .creating : .exited
        case .stopped: s.state = (record?.pid == nil && alive) ? .creating : .exited
        }
        return s
    }

    /// The monitor, taken by pidfd and checked against its recorded start time; nil once gone.
    public static func openMonitor(_ record: ContainerRecord) -> Pidfd? {
        guard let pid = record.monitorPid, let p = try? Pidfd.open(pid),
              let stat = try? ProcStat.read(pid), !stat.hasExited,
              stat.startTime == record.monitorStartTime else { return nil }
        return p
    }

    /// docker's wording: "Up 5 minutes", "Exited (0) 3 seconds ago", "Exited (unknown)", "Created".
    public func text(now: Int64 = Int64(time(nil))) -> String {
        switch state {
        case .creating: return "Creating"
        case .running, .paused:
            let up = record?.started.flatMap(Self.seconds).map { "Up " + Self.duration(now - $0) } ?? "Up"
            return state == .paused ? up + " (Paused)" : up
        case .exited:
            guard let code = exitStatus else { return "Exited (unknown: monitor gone)" }
            let ago = record?.finished.flatMap(Self.seconds).map { " " + Self.duration(now - $0) + " ago" } ?? ""
            return "Exited (\(code))\(ago)"
        }
    }

    /// Seconds the command has run (still running) or ran; nil when unknown.
    public func uptime(now: Int64 = Int64(time(nil))) -> Int64? {
        guard let start = record?.started.flatMap(Self.seconds) else { return nil }
        if state == .running || state == .paused { return now - start }
        return record?.finished.flatMap(Self.seconds).map { $0 - start }
    }

    public static func duration(_ s: Int64) -> String {
        switch s {
        case ..<1: return "Less than a second"
        case ..<60: return "\(s) second\(s == 1 ? "" : "s")"
        case ..<3600: return "\(s / 60) minute\(s / 60 == 1 ? "" : "s")"
        case ..<172_800: return "\(s / 3600) hour\(s / 3600 == 1 ? "" : "s")"
        default: return "\(s / 86400) days"
        }
    }

    /// Seconds since the epoch of an RFC 3339 UTC time as `ContainerRecord.timestamp` writes it.
    public static func seconds(_ t: String) -> Int64? {
        let u = Array(t.utf8)
        guard u.count >= 20, u[4] == 0x2D, u[10] == 0x54 else { return nil }
        func n(_ a: Int, _ b: Int) -> Int32? { Int32(String(decoding: u[a..<b], as: UTF8.self)) }
        guard let y = n(0, 4), let mo = n(5, 7), let d = n(8, 10), let h = n(11, 13), let mi = n(14, 16), let s = n(17, 19) else { return nil }
        var tm = Glibc.tm()
        tm.tm_year = y - 1900
        tm.tm_mon = mo - 1
        tm.tm_mday = d
        tm.tm_hour = h
        tm.tm_min = mi
        tm.tm_sec = s
        return Int64(timegm(&tm))
    }
}
