import SiloSpec
import SiloSys

/// A section as `silo demo --json` writes it: measured values as numbers and whole lists, the
/// words in the demo's language, the verdict's keyword always in English.
extension DemoSection {
    public var json: JSON {
        func identity(_ link: String?) -> JSON {
            guard let link else { return .null }
            return .fields([("link", .string(link)), ("inode", ProcFS.inode(link).map { .integer($0) } ?? .null)])
        }
        var fields: [(String, JSON)] = [
            ("kind", .string(about.kind.rawValue)),
            ("title", .string(about.title)),
            ("clone_flag", .string(about.cloneFlag)),
            ("since", .string(about.since)),
            ("about", .string(about.text)),
            ("shared", .bool(shared)),
            ("verdict", .string(verdict.rawValue)),
            ("verdict_text", .string(verdict.text(lang))),
            ("reason", .string(reason)),
            ("why", why.isEmpty ? .null : .string(why)),
            ("namespace", .fields([("host", identity(hostNamespace)), ("container", identity(containerNamespace))])),
            ("container_pid", containerPID.map { .integer($0) } ?? .null),
            ("launcher_pid", launcherPID.map { .integer($0) } ?? .null),
            ("evidence", .array(rows.map { r in
                .fields([("key", .string(r.key)), ("label", .string(r.label)), ("host", r.host?.json ?? .null), ("container", r.container?.json ?? .null)])
            })),
            ("notes", .strings(notes)),
            ("script", .string(script)),
            ("syscalls", .strings(syscalls)),
        ]
        if kept, let pid = containerPID {
            fields.append(("kept", .fields([
                ("pid", .integer(pid)),
                ("enter", .string(DemoSection.enterCommand(pid))),
                ("remove", .string(DemoSection.removeCommand(pid))),
            ])))
        }
        return .fields(fields)
    }

    /// How to get a shell in a kept container: nsenter joins every namespace of its PID 1
    /// (user first, so that the others may be joined) and, joining the mount namespace, takes its
    /// root and working directory; the shell is the container's busybox.
    public static func enterCommand(_ pid: Int32) -> String { "nsenter --target \(pid) --all /bin/sh" }

    /// How to end a kept container: SIGKILL to its PID 1 (from the host, an ancestor namespace,
    /// SIGKILL always reaches it); silo's launcher then removes the rest and exits.
    public static func removeCommand(_ pid: Int32) -> String { "kill -KILL \(pid)" }
}
