import Foundation
import SiloSys
import Testing

/// LinuxSyscalls.resolveInRoot on a real directory tree (no privileges needed): symlinks in the
/// "rootfs" are followed as if it were `/`, and whatever is created lands inside it.
@Suite struct ResolveInRootTests {
    let sys = LinuxSyscalls()

    /// A fresh tree under the temporary directory: root/{etc, var/tmp} plus `links`.
    func tree(_ links: [String: String]) throws -> (dir: String, root: String) {
        let dir = NSTemporaryDirectory() + "silo-resolve-" + UUID().uuidString
        let root = dir + "/root"
        for d in ["etc", "var/tmp"] { try FileManager.default.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true) }
        try FileManager.default.createDirectory(atPath: dir + "/outside", withIntermediateDirectories: true)
        for (name, target) in links { try FileManager.default.createSymbolicLink(atPath: root + "/" + name, withDestinationPath: target) }
        return (dir, root)
    }

    func withRoot(_ root: String, _ body: (Int32) throws -> Void) throws {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        try body(fd)
    }

    @Test func linksOutOfTheRootLandInsideIt() throws {
        let t = try tree(["abs": "/var/tmp", "rel": "../../../../var/tmp", "out": "../outside", "chain": "abs/../../etc", "loop": "loop"])
        defer { try? FileManager.default.removeItem(atPath: t.dir) }
        try withRoot(t.root) { root in
            for (path, landed) in [("/abs/a", "var/tmp/a"), ("/rel/b", "var/tmp/b"), ("/chain/c", "etc/c"), ("/../../abs/d", "var/tmp/d")] {
                let r = try #require(try sys.resolveInRoot(root, path, create: .directory(mode: 0o755)))
                close(r.fd)
                #expect(r.kind == .directory)
                #expect(FileManager.default.fileExists(atPath: t.root + "/" + landed), "\(path)")
            }
            let f = try #require(try sys.resolveInRoot(root, "/out/file", create: .file))
            close(f.fd)
            #expect(f.kind == .regular && FileManager.default.fileExists(atPath: t.root + "/outside/file"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: t.dir + "/outside").isEmpty)
            #expect(try sys.resolveInRoot(root, "/abs/missing", create: .none) == nil)
            #expect(throws: SyscallError.self) { try sys.resolveInRoot(root, "/loop/x", create: .directory(mode: 0o755)) }
            // a path that ends at the root itself is never a mount target
            #expect(throws: SyscallError.self) { try sys.resolveInRoot(root, "/etc/..", create: .directory(mode: 0o755)) }
            #expect(throws: SyscallError.self) { try sys.resolveInRoot(root, "/", create: .none) }
        }
    }
}
