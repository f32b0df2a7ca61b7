import Testing
@testable import SiloKit

/// Issue 18 item 10: `-w` through symlinks and non-canonical spellings.
@Suite struct WorkdirTests {
    @Test(arguments: [
        ("/", "/"), ("/etc", "/etc"), ("/etc/", "/etc"), ("//etc", "/etc"), ("/etc/./", "/etc"), ("/./etc//x/.", "/etc/x"),
        ("/etc/..", "/"), ("/../..", "/"), ("/a/b/../c", "/a/c"), ("/..etc", "/..etc"), ("///", "/"),
    ])
    func cleanIsLexical(_ path: String, _ clean: String) {
        #expect(Workdir.clean(path) == clean)
    }

    @Test func onlyAnAbsoluteCwdIsInsideTheRoot() {
        #expect(Workdir.isInsideRoot(cwd: "/etc"))
        #expect(!Workdir.isInsideRoot(cwd: "(unreachable)/sys/fs/cgroup"))
        #expect(!Workdir.isInsideRoot(cwd: ""))
    }
}
