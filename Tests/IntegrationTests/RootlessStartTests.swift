import Foundation
import Testing

extension RootlessTests {
    /// Without a range the child maps itself, as bwrap's does, while silo sleeps in clone
    /// (CLONE_VFORK) until its execve: no hand-over between the two before the command runs.
    /// With a range the parent still runs the helpers for the child. strace -f shows who wrote.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/strace")))
    func theSingleMappingChildWritesItsOwnMaps() throws {
        func trace(_ user: String) throws -> (Silo.Result, String) {
            let log = "\(R.dir)/strace-maps-\(user)"
            defer { try? FileManager.default.removeItem(atPath: log) }
            let r = try Silo.exec("/usr/bin/strace", ["-f", "-qq", "-e", "trace=clone,clone3,openat,execve", "-o", log, "/usr/bin/env", "-u", "XDG_RUNTIME_DIR",
                                                      "/usr/bin/setpriv", "--reuid=\(user)", "--regid=\(user)", "--clear-groups", "--",
                                                      Silo.binary, "run", "--rootfs", R.rootfs(user), "--", "/bin/sh", "-c", "cat /proc/self/uid_map"])
            return (r, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }
        let (r, log) = try trace(R.single)
        #expect(r.status == 0 && r.stdout.split(separator: " ").count == 3, "\(r)")
        let lines = log.split(separator: "\n")
        #expect(lines.contains { $0.contains("CLONE_VFORK") && $0.contains("CLONE_NEWUSER") }, "\(log)")
        // O_WRONLY: the command's own read of /proc/self/uid_map does not count.
        #expect(lines.contains { $0.contains("\"/proc/self/uid_map\", O_WRONLY") } && lines.contains { $0.contains("\"/proc/self/gid_map\", O_WRONLY") }, "\(log)")
        #expect(!lines.contains { $0.range(of: #""/proc/[0-9]+/(uid|gid)_map""#, options: .regularExpression) != nil }, "\(log)")

        let (ranged, rangedLog) = try trace(R.ranged)
        // (posix_spawn of the helpers uses CLONE_VFORK too, without namespaces.)
        let rangedLines = rangedLog.split(separator: "\n")
        #expect(!rangedLines.contains { $0.contains("CLONE_VFORK") && $0.contains("CLONE_NEWUSER") }, "\(ranged) \(rangedLog)")
        #expect(!rangedLines.contains { $0.contains("\"/proc/self/uid_map\", O_WRONLY") }, "\(rangedLog)")
    }
}
