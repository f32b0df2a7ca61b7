import Glibc
import Testing
@testable import SiloKit
import SiloSys

@Suite struct NamespaceReportTests {
    @Test func initialNamespaceInodes() {
        // include/linux/proc_ns.h: PROC_IPC_INIT_INO = 0xEFFFFFFF, downwards.
        #expect(NamespaceKind.ipc.initialInode == 4026531839)
        #expect(NamespaceKind.cgroup.initialInode == 4026531835)
        #expect(NamespaceKind.allCases.map(\.rawValue) == ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"])
        #expect(NamespaceReport.isInitial("uts", inode: 4026531838) == true)
        #expect(NamespaceReport.isInitial("uts", inode: 4026532000) == false)
    }

    @Test func reportOfThisProcessListsItsKindsAsTheCallers() throws {
        let r = try NamespaceReport.report(pid: getpid())
        #expect(r.entries.map { $0.kind } == NamespaceKind.allCases.map(\.rawValue).filter { FileIO.exists("/proc/self/ns/\($0)") })
        #expect(r.entries.allSatisfy { $0.callers })
        #expect(r.entries.allSatisfy { $0.processes.contains(getpid()) })
    }
}
