import Testing
@testable import SiloCLI
import SiloKit
import SiloSys

/// silo's exit statuses are docker's: 125 for silo's own errors, 126 when the command cannot
/// run, 127 when it is not there.
@Suite struct ExitStatusTests {
    @Test func runtimeErrorsMapByCode() {
        #expect(ExitStatus.of(RuntimeError(.notFound, "x")) == 127)
        #expect(ExitStatus.of(RuntimeError(.cannotExecute, "x")) == 126)
        #expect(ExitStatus.of(RuntimeError(.usage, "x")) == 125)
        #expect(ExitStatus.of(RuntimeError(.runtime, "x")) == 125)
    }

    @Test func execErrorsMapAsAShellDoes() {
        #expect(ExitStatus.ofExec(SyscallError("execve", errno: Errno.noSuchFile)) == 127)
        #expect(ExitStatus.ofExec(SyscallError("execve", errno: Errno.notADirectory)) == 127)
        #expect(ExitStatus.ofExec(SyscallError("execve", errno: Errno.permissionDenied)) == 126)
    }
}
