import Testing
@testable import SiloSys

@Suite struct ProcFSTests {
    @Test func mountinfoParsing() {
        let text = """
        70 44 0:41 / / rw,relatime - overlay overlay rw,lowerdir=/tmp/lower
        71 70 0:44 / /proc rw,nosuid - proc proc rw
        90 70 0:50 /sub /mnt/a\\040b rw shared:5 master:1 - tmpfs my\\040tag rw
        """
        let m = ProcFS.parseMountinfo(text)
        #expect(m.count == 3)
        #expect(m[0] == ProcFS.Mount(mountPoint: "/", fsType: "overlay", source: "overlay", root: "/"))
        #expect(m[2] == ProcFS.Mount(mountPoint: "/mnt/a b", fsType: "tmpfs", source: "my tag", root: "/sub"))
        #expect(ProcFS.inode("uts:[4026531838]") == 4026531838)
        #expect(ProcFS.inode("garbage") == nil)
    }
}
