#if canImport(Glibc)
import Glibc
#endif
import SiloSpec

/// silo's state.json for one container (docs: /work/notes/oci-design.md): a superset of the OCI
/// state, plus what `start`, `kill`, `exec` and `delete` need later, and what `delete` must undo.
/// Members silo does not know are ignored on reading, so an older silo can read a newer record.
public struct ContainerRecord: Equatable, Sendable {
    public var ociVersion: String = OCISpec.version
    public var id: String
    /// The last status *recorded*; what the container is now comes from `ContainerLiveness`.
    public var status: OCIState.Status
    /// The init's pid in silo's PID namespace; nil before it exists.
    public var pid: Int32?
    /// Field 22 of /proc/PID/stat when the init was made: a pid whose start time differs was reused.
    public var pidStartTime: UInt64?
    public var bundle: String
    public var rootfs: String
    public var annotations: [String: String] = [:]
    /// RFC 3339 with nanoseconds, UTC (`ContainerRecord.timestamp()`).
    public var created: String
    public var owner: UInt32
    /// Controller (or "" for the unified hierarchy) → cgroup directory, removed by delete.
    public var cgroupPaths: [String: String] = [:]
    /// Directories above those that create made for `cgroupsPath` (a/b/c with a and a/b new),
    /// removed by delete after them when empty.
    public var cgroupParents: [String] = []
    /// The host id slot (IDRangeLock) the container's user namespace maps, if any.
    public var idSlot: Int?
    /// What delete must take down: "veth", "bridge", "address", ...
    public var network: [String: String] = [:]
    /// Namespace kinds (/proc/PID/ns names) the container has apart from silo's, for exec.
    public var namespaces: [String] = []
    /// The hook kinds of the config create read that `start`, `run` and `delete` run themselves
    /// ("poststart", "poststop"): without them those verbs skip reading the config copy back
    /// (a JSON parse each). nil: a record from before this field; the copy is read.
    public var laterHooks: [String]?
    /// The config has no `process` (create holds the init; start refuses and stops it). Kept in
    /// the record so that start need not parse the config copy to know.
    public var noProcess = false
    /// The filter an exec'd process gets: the container's own (process.json has no seccomp
    /// member; runc gives the config's). nil: a record from before this field, silo's default.
    public var seccomp: SeccompSource?
    // For `silo run -d` (issue 15).
    public var name: String?
    public var command: [String] = []
    public var exitStatus: Int32?
    public var monitorPid: Int32?
    /// The monitor's start time (field 22), so a reused monitor pid is not taken for it.
    public var monitorStartTime: UInt64?
    /// "run": made by `silo run` (silo's own verbs, names and id prefixes apply); nil: an OCI
    /// bundle's, which engines own and name by exact id.
    public var kind: String?
    /// RFC 3339: when the command was started and when its exit was recorded.
    public var started: String?
    public var finished: String?

    /// Whether the config has hooks of `kind` that a later verb runs: true when the record
    /// cannot tell (written before `laterHooks`).
    public func mayHaveHooks(_ kind: String) -> Bool { laterHooks?.contains(kind) ?? true }

    /// A container `silo run` made (not an OCI bundle's).
    public var isRun: Bool { kind == "run" }

    public init(id: String, status: OCIState.Status, pid: Int32? = nil, pidStartTime: UInt64? = nil, bundle: String,
                rootfs: String = "", created: String = ContainerRecord.timestamp(), owner: UInt32 = geteuid()) {
        self.id = id
        self.status = status
        self.pid = pid
        self.pidStartTime = pidStartTime
        self.bundle = bundle
        self.rootfs = rootfs
        self.created = created
        self.owner = owner
    }

    /// The OCI view, with the status computed now (see `ContainerLiveness.status`). The pid is
    /// left out once stopped, as runc prints 0/omits it.
    public func ociState(status: OCIState.Status) -> OCIState {
        OCIState(id: id, status: status, pid: status == .stopped ? nil : pid, bundle: bundle,
                 annotations: annotations, ociVersion: ociVersion)
    }

    public var json: JSON {
        var m: [JSON.Member] = [.init("ociVersion", .string(ociVersion)), .init("id", .string(id)),
                                .init("status", .string(status.rawValue))]
        if let pid { m.append(.init("pid", .integer(pid))) }
        if let pidStartTime { m.append(.init("pidStartTime", .integer(pidStartTime))) }
        m += [.init("bundle", .string(bundle)), .init("rootfs", .string(rootfs))]
        if !annotations.isEmpty { m.append(.init("annotations", .stringMap(annotations))) }
        m += [.init("created", .string(created)), .init("owner", .integer(owner))]
        if !cgroupPaths.isEmpty { m.append(.init("cgroupPaths", .stringMap(cgroupPaths))) }
        if !cgroupParents.isEmpty { m.append(.init("cgroupParents", .strings(cgroupParents))) }
        if let idSlot { m.append(.init("idSlot", .integer(idSlot))) }
        if !network.isEmpty { m.append(.init("network", .stringMap(network))) }
        if !namespaces.isEmpty { m.append(.init("namespaces", .strings(namespaces))) }
        if let laterHooks { m.append(.init("laterHooks", .strings(laterHooks))) }
        if noProcess { m.append(.init("noProcess", .bool(true))) }
        if let seccomp { m.append(.init("seccomp", .string(seccomp.rawValue))) }
        if let name { m.append(.init("name", .string(name))) }
        if !command.isEmpty { m.append(.init("command", .strings(command))) }
        if let exitStatus { m.append(.init("exitStatus", .integer(exitStatus))) }
        if let monitorPid { m.append(.init("monitorPid", .integer(monitorPid))) }
        if let monitorStartTime { m.append(.init("monitorStartTime", .integer(monitorStartTime))) }
        if let kind { m.append(.init("kind", .string(kind))) }
        if let started { m.append(.init("started", .string(started))) }
        if let finished { m.append(.init("finished", .string(finished))) }
        return .object(m)
    }

    /// The bytes of state.json: compact, no newline.
    public var encoded: [UInt8] { json.encodedBytes() }

    /// Reads state.json; `file` names it in errors ("state file /run/silo/x/state.json: .pid: ...").
    public static func decode(_ bytes: [UInt8], file: String = "state.json") throws(RuntimeError) -> ContainerRecord {
        let doc: JSON
        do { doc = try JSON.parse(bytes) } catch { throw RuntimeError(.runtime, "state file \(file): \(error)") }
        let r = Reader(doc: doc, file: file)
        guard case .object = doc else { throw r.fail("", "not a JSON object") }
        let status = try r.string("status")
        guard let s = OCIState.Status(rawValue: status) else { throw r.fail(".status", "unknown status \"\(status)\"") }
        var rec = ContainerRecord(id: try r.string("id"), status: s, pid: try r.int("pid", Int32.self),
                                  pidStartTime: try r.int("pidStartTime", UInt64.self), bundle: try r.string("bundle"),
                                  rootfs: try r.optionalString("rootfs") ?? "", created: try r.optionalString("created") ?? "",
                                  owner: try r.int("owner", UInt32.self) ?? 0)
        rec.ociVersion = try r.optionalString("ociVersion") ?? OCISpec.version
        rec.annotations = try r.map("annotations")
        rec.cgroupPaths = try r.map("cgroupPaths")
        rec.cgroupParents = try r.strings("cgroupParents")
        rec.idSlot = try r.int("idSlot", Int.self)
        rec.network = try r.map("network")
        rec.namespaces = try r.strings("namespaces")
        switch doc["laterHooks"] {
        case nil, .null?: break
        default: rec.laterHooks = try r.strings("laterHooks")
        }
        if case .bool(true)? = doc["noProcess"] { rec.noProcess = true }
        if let text = try r.optionalString("seccomp") {
            guard let source = SeccompSource(rawValue: text) else { throw r.fail(".seccomp", "unknown source \"\(text)\"") }
            rec.seccomp = source
        }
        rec.name = try r.optionalString("name")
        rec.command = try r.strings("command")
        rec.exitStatus = try r.int("exitStatus", Int32.self)
        rec.monitorPid = try r.int("monitorPid", Int32.self)
        rec.monitorStartTime = try r.int("monitorStartTime", UInt64.self)
        rec.kind = try r.optionalString("kind")
        rec.started = try r.optionalString("started")
        rec.finished = try r.optionalString("finished")
        if rec.id.isEmpty { throw r.fail(".id", "must not be empty") }
        return rec
    }

    private struct Reader {
        let doc: JSON
        let file: String
        func fail(_ path: String, _ why: String) -> RuntimeError {
            RuntimeError(.runtime, "state file \(file): \(path.isEmpty ? "" : path + ": ")\(why)")
        }
        func optionalString(_ key: String) throws(RuntimeError) -> String? {
            switch doc[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            case let v?: throw fail("." + key, "expected a string, found \(v.kind)")
            }
        }
        func string(_ key: String) throws(RuntimeError) -> String {
            guard let s = try optionalString(key) else { throw fail("." + key, "missing") }
            return s
        }
        func int<T: FixedWidthInteger>(_ key: String, _: T.Type) throws(RuntimeError) -> T? {
            switch doc[key] {
            case nil, .null?: return nil
            case .number(let text)?:
                guard let n = T(text) else { throw fail("." + key, "\(text) is not a \(T.self)") }
                return n
            case let v?: throw fail("." + key, "expected a number, found \(v.kind)")
            }
        }
        func strings(_ key: String) throws(RuntimeError) -> [String] {
            switch doc[key] {
            case nil, .null?: return []
            case .array(let items)?:
                var out: [String] = []
                for (i, item) in items.enumerated() {
                    guard case .string(let s) = item else { throw fail(".\(key)[\(i)]", "expected a string") }
                    out.append(s)
                }
                return out
            case let v?: throw fail("." + key, "expected an array, found \(v.kind)")
            }
        }
        func map(_ key: String) throws(RuntimeError) -> [String: String] {
            switch doc[key] {
            case nil, .null?: return [:]
            case .object(let members)?:
                var out: [String: String] = [:]
                for m in members {
                    guard case .string(let s) = m.value else { throw fail(".\(key).\(m.key)", "expected a string") }
                    out[m.key] = s
                }
                return out
            case let v?: throw fail("." + key, "expected an object, found \(v.kind)")
            }
        }
    }

    /// Now as Go's RFC3339Nano in UTC (what runc writes in `created`): trailing zeros of the
    /// fraction dropped, "Z" for the zone.
    public static func timestamp(_ now: timespec? = nil) -> String {
        var ts = now ?? timespec()
        if now == nil { clock_gettime(CLOCK_REALTIME, &ts) }
        var t = time_t(ts.tv_sec)
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        func pad(_ n: Int32, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        var out = "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
            + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2))"
        if ts.tv_nsec > 0 {
            var frac = pad(Int32(ts.tv_nsec), 9)
            while frac.last == "0" { frac.removeLast() }
            out += "." + frac
        }
        return out + "Z"
    }
}
