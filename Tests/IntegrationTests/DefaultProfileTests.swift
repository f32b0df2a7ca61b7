import Foundation
import Testing

/// The default seccomp profile against Docker's where they must agree.
@Suite struct DefaultProfileTests {
    /// Docker allows chroot when CAP_SYS_CHROOT is in the set, which it is by default; the
    /// kernel's own capability check refuses it once the capability is dropped.
    @Test(.enabled(if: Host.canRunContainers))
    func chrootFollowsCapSysChroot() throws {
        let before = Host.Snapshot.take()
        let ok = try Silo.container(["--", "sh", "-c", "chroot / true && echo chrooted"])
        #expect(ok.status == 0, "\(ok)")
        #expect(ok.stdout == "chrooted\n")
        let dropped = try Silo.container(["--cap-drop", "SYS_CHROOT", "--", "chroot", "/", "true"])
        #expect(dropped.status == 1, "\(dropped)")
        #expect(dropped.stderr.contains("Operation not permitted"), "\(dropped)")
        let after = Host.Snapshot.take()
        #expect(after.mounts == before.mounts)
        #expect(after.children.isEmpty)
    }
}
