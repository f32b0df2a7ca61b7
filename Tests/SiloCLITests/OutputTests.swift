import Testing
@testable import SiloCLI
import SiloSys

@Suite struct OutputTests {
    @Test func initialNamespaceInodes() {
        // include/linux/proc_ns.h: PROC_IPC_INIT_INO = 0xEFFFFFFF, downwards.
        #expect(NamespaceKind.ipc.initialInode == 4026531839)
        #expect(NamespaceKind.cgroup.initialInode == 4026531835)
        #expect(NamespaceKind.allCases.map(\.rawValue) == ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"])
        #expect(NsCommand.isInitial("uts", inode: 4026531838) == true)
        #expect(NsCommand.isInitial("uts", inode: 4026532000) == false)
    }

    @Test func textStyleFitsAndWraps() {
        #expect(TextStyle.fit("abcdef", 4) == "abc…")
        #expect(TextStyle.wrap("aa bb cc", 5, indent: "> ") == "> aa bb\n> cc\n")
    }
}
