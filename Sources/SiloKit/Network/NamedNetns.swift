#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// Named network namespaces in iproute2's layout: /run/netns is a shared mount point (one
/// bind of the directory onto itself, made once and left in place, as `ip` does), and each
/// name is an empty file with the namespace's nsfs file bind-mounted on it. The bind keeps the
/// namespace alive with no process inside; removing it frees the namespace once the last
/// process has left.
///
/// A name counts only while a namespace is bound on it. The empty file must exist before the
/// bind, so an `add` killed between the two (or an `ip netns add`, which has the same window)
/// leaves an unbound file: `list` does not show it, `open` and `exec` call it missing, `add`
/// reuses it and `delete` removes it. silo's own add keeps that window to two syscalls: the
/// namespace is made and held as a detached mount first. add, attach and delete run under an
/// flock on /run/netns, so that racing calls on one name fail cleanly ("already exists",
/// "no such named network namespace") instead of tripping over each other's half-done steps.
public enum NamedNetns {
    public static let runDir = "/run/netns"
    public static let etcDir = "/etc/netns"

    /// Why `name` cannot name a namespace, or nil. iproute2 rejects the same names (it must be
    /// one path component under /run/netns).
    public static func invalidReason(_ name: String) -> String? {
        if name.isEmpty { return "empty" }
        if name == "." || name == ".." { return "`.` and `..` are not names" }
        if name.contains("/") { return "contains /" }
        if name.utf8.contains(0) { return "contains a NUL byte" }
        if name.utf8.count > 255 { return "longer than 255 bytes" }
        return nil
    }

    public static func check(_ name: String) throws(NetnsError) {
        if let why = invalidReason(name) {
            throw NetnsError(.invalidName, "netns `\(printable(name))`: invalid name (\(why))")
        }
    }

    public static func path(_ name: String) -> String { runDir + "/" + name }

    /// Names under /run/netns, sorted.
    public static func names() -> [String] {
        ((try? FileIO.list(runDir)) ?? []).sorted()
    }

    /// An fd for the named namespace; a missing name is `.cannotOpen`.
    public static func open(_ name: String) throws(NetnsError) -> Int32 {
        try check(name)
        let fd: Int32
        do { fd = try NamespaceFile.open(path(name)) } catch {
            if error.errno == ENOENT { throw NetnsError(.cannotOpen, "netns \(name): no such named network namespace") }
            throw NetnsError(.cannotOpen, "netns \(name): \(error.reason)")
        }
        if !NamespaceFile.isNamespace(fd: fd) {
            close(fd)  // an unbound leftover: no namespace by that name
            throw NetnsError(.cannotOpen, "netns \(name): no such named network namespace")
        }
        return fd
    }

    /// The lock add, attach and delete hold: an exclusive flock on /run/netns, the directory
    /// `ip` locks while it makes the mount point. Taken after prepareRunDir, which holds the
    /// same lock and releases it.
    static func lockNames() -> Int32 { FileIO.lockExclusive(directory: runDir) }

    /// Makes room for `name`: EEXIST when a namespace is bound there; true when an unbound
    /// leftover file is there to bind onto, false when there is nothing.
    static func claim(_ name: String) throws(NetnsError) -> Bool {
        let file = path(name)
        guard let st = try? FileIO.lstat(file) else { return false }
        if NamespaceFile.isBound(file) || st.st_mode & S_IFMT != S_IFREG || st.st_size != 0 {
            throw NetnsError(.failed, "netns \(name): already exists")
        }
        return true
    }

    /// Binds the detached namespace `tree` at the name: the file is created (unless a leftover
    /// is reused) right before the bind, nothing slow in between.
    static func bind(_ tree: Int32, at name: String, reuse: Bool, what: String) throws(NetnsError) {
        let file = path(name)
        if !reuse {
            do { try FileIO.createExclusive(file) } catch {
                if error.errno == EEXIST { throw NetnsError(.failed, "netns \(name): already exists") }
                throw NetnsError.failed(error)
            }
        }
        do { try NamespaceFile.attach(tree: tree, on: file) } catch {
            try? FileIO.unlink(file)
            throw NetnsError(.failed, "\(what) \(name): \(error)")
        }
    }

    /// /run/netns as a shared mount point, so that a `delete` in one mount namespace
    /// unmounts the name in every other one (`ip netns exec` shells, containers) and the
    /// namespace can be freed. Under a flock, as `ip` does, so that racing callers do not stack
    /// self-binds.
    static func prepareRunDir() throws(NetnsError) {
        do throws(SyscallError) {
            try NamespaceFile.mkdir(runDir, mode: 0o755)
            let lock = FileIO.lockExclusive(directory: runDir)
            defer { if lock >= 0 { close(lock) } }
            var madeMountPoint = false
            while true {
                do {
                    try NamespaceFile.mount("", on: runDir, type: "none", flags: [.shared, .rec])
                    return
                } catch {
                    // EINVAL: not a mount point yet; make it one by binding it onto itself.
                    guard error.errno == EINVAL, !madeMountPoint else { throw error }
                    try NamespaceFile.mount(runDir, on: runDir, type: "none", flags: [.bind, .rec])
                    madeMountPoint = true
                }
            }
        } catch {
            throw NetnsError(.failed, "netns: preparing \(runDir) (a shared mount point): \(error)")
        }
    }

    /// A new network namespace, bound at /run/netns/NAME. The CLI is single-threaded, so
    /// the calling thread unshares, takes a detached bind of its own namespace and returns to
    /// the original one before the name is made.
    public static func add(_ name: String, loUp: Bool = false) throws(NetnsError) {
        try check(name)
        try prepareRunDir()
        let lock = lockNames()
        defer { if lock >= 0 { close(lock) } }
        let reuse = try claim(name)
        let home: Int32
        do { home = try NamespaceFile.open(NamespaceFile.currentPath) } catch { throw NetnsError.failed(error) }
        defer { close(home) }
        let tree: Int32
        do throws(SyscallError) {
            try LinuxSyscalls().unshare(.newNet)
            tree = try NamespaceFile.detachedBind(NamespaceFile.currentPath)
            do throws(SyscallError) {
                if loUp {
                    let nl = try Netlink()
                    defer { nl.close() }
                    try nl.setLink(index: 1, up: true, name: "lo in \(name)")
                }
                try NamespaceFile.enter(home, name: "the original network namespace")
            } catch {
                close(tree)
                throw error
            }
        } catch {
            try? NamespaceFile.enter(home, name: "the original network namespace")
            throw NetnsError(.failed, "netns add \(name): \(error)")
        }
        defer { close(tree) }
        try bind(tree, at: name, reuse: reuse, what: "netns add")
    }

    /// Names the network namespace that process `pid` is in.
    public static func attach(_ name: String, pid: Int32) throws(NetnsError) {
        try check(name)
        let source = "/proc/\(pid)/ns/net"
        do { _ = try NamespaceFile.identity(source) } catch {
            throw NetnsError(.failed, "pid \(pid): \(error.errno == ENOENT ? "No such process" : error.reason)")
        }
        try prepareRunDir()
        let lock = lockNames()
        defer { if lock >= 0 { close(lock) } }
        let reuse = try claim(name)
        let tree: Int32
        do { tree = try NamespaceFile.detachedBind(source) } catch { throw NetnsError(.failed, "netns attach \(name): \(error)") }
        defer { close(tree) }
        try bind(tree, at: name, reuse: reuse, what: "netns attach")
    }

    /// Removes the name: the mount first, then the file (an unbound leftover too). The
    /// namespace lives on while a process is inside.
    public static func delete(_ name: String) throws(NetnsError) {
        try check(name)
        let lock = lockNames()
        defer { if lock >= 0 { close(lock) } }
        let file = path(name)
        NamespaceFile.detach(file)
        do { try FileIO.unlink(file) } catch {
            if error.errno == ENOENT { throw NetnsError(.failed, "netns \(name): no such named network namespace") }
            throw NetnsError.failed(error)
        }
    }

    /// Deletes every name; returns those it removed. Keeps going past a failure.
    public static func deleteAll() -> (deleted: [String], failures: [NetnsError]) {
        var deleted: [String] = []
        var failures: [NetnsError] = []
        for name in names() {
            do { try delete(name); deleted.append(name) } catch { failures.append(error) }
        }
        return (deleted, failures)
    }

    /// Which names refer to the network namespace of `pid`.
    public static func identify(pid: Int32) throws(NetnsError) -> [String] {
        let id: NamespaceID
        do { id = try NamespaceFile.identity("/proc/\(pid)/ns/net") } catch {
            throw NetnsError(.failed, "pid \(pid): \(error.errno == ENOENT ? "No such process" : error.reason)")
        }
        return names().filter { (try? NamespaceFile.identity(path($0))) == id }
    }

    /// The processes inside the named namespace.
    public static func pids(_ name: String) throws(NetnsError) -> [Int32] {
        try check(name)
        let id: NamespaceID
        do { id = try NamespaceFile.identity(path(name)) } catch {
            if error.errno == ENOENT { throw NetnsError(.failed, "netns \(name): no such named network namespace") }
            throw NetnsError.failed(error)
        }
        return processes()[id] ?? []
    }

    /// Every process grouped by network namespace (one pass over /proc).
    public static func processes() -> [NamespaceID: [Int32]] {
        var out: [NamespaceID: [Int32]] = [:]
        for pid in ProcFS.pids() {
            if let id = try? NamespaceFile.identity("/proc/\(pid)/ns/net") { out[id, default: []].append(pid) }
        }
        return out.mapValues { $0.sorted() }
    }

    public struct Entry: Equatable, Sendable {
        public var name: String
        /// The id the current namespace has given this one (`ip netns set`), if any.
        public var nsid: Int32?
        public var pids: [Int32]
    }

    public static func list() -> [Entry] {
        let all = names().filter { NamespaceFile.isBound(path($0)) }
        if all.isEmpty { return [] }
        let byNamespace = processes()
        let nl = try? Netlink()
        defer { nl?.close() }
        return all.map { name in
            var e = Entry(name: name, nsid: nil, pids: [])
            if let fd = try? NamespaceFile.open(path(name)) {
                defer { close(fd) }
                e.nsid = nl?.nsid(of: fd)
                if let id = try? NamespaceFile.identity(fd: fd, object: name) { e.pids = byNamespace[id] ?? [] }
            }
            return e
        }
    }

    /// `ip netns exec` up to the exec: enter the namespace, a private mount namespace with a /sys
    /// for this netns and /etc/netns/NAME/* bound over /etc. What could not be bound comes back
    /// as warnings, as `ip netns exec` reports and skips them.
    public static func enterForExec(_ name: String) throws(NetnsError) -> [Warning] {
        let fd = try open(name)
        defer { close(fd) }
        let sys = LinuxSyscalls()
        do throws(SyscallError) {
            try NamespaceFile.enter(fd, name: name)
            try sys.unshare(.newNS)
            // Nothing mounted from here on may propagate back to the host.
            try sys.mount(source: "", target: "/", type: "none", flags: [.slave, .rec], data: nil)
            var sysFlags: MountFlags = []
            do throws(SyscallError) { try sys.umount("/sys", detach: true) } catch {
                // A read-only sysfs that cannot be unmounted cannot be shadowed read-write.
                if FileIO.isReadOnlyMount("/sys") { sysFlags.insert(.rdonly) }
            }
            try sys.mount(source: name, target: "/sys", type: "sysfs", flags: sysFlags, data: nil)
        } catch {
            throw NetnsError(.execSetup, "netns exec \(name): \(error)")
        }
        return bindEtc(name)
    }

    /// /etc/netns/NAME/FILE over /etc/FILE, each on its own; a failure is a warning and skipped.
    static func bindEtc(_ name: String) -> [Warning] {
        guard name.utf8.count < 255 else { return [] }
        let dir = etcDir + "/" + name
        guard let entries = try? FileIO.list(dir) else { return [] }
        var warnings: [Warning] = []
        for entry in entries.sorted() {
            do throws(SyscallError) {
                try LinuxSyscalls().mount(source: dir + "/" + entry, target: "/etc/" + entry, type: "none", flags: [.bind], data: nil)
            } catch {
                warnings.append(Warning("netns exec \(name): bind \(dir)/\(entry) over /etc/\(entry): \(error.reason)"))
            }
        }
        return warnings
    }

    /// A name as it can be shown on one line.
    static func printable(_ s: String) -> String {
        let shown = s.utf8.count > 40 ? String(s.prefix(40)) + "..." : s
        return String(shown.map { $0.isNewline || $0 == "\0" ? "?" : $0 })
    }
}
