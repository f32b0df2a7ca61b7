import Testing
@testable import SiloKit

@Suite struct ThreadCountTests {
    @Test func parsesThreadsLine() {
        let status = "Name:\tsilo\nUmask:\t0022\nTgid:\t42\nThreads:\t3\nSigQ:\t0/9\n"
        #expect(ThreadCount.parse(Array(status.utf8)) == 3)
    }

    @Test func onlyAtLineStartAndWithDigits() {
        #expect(ThreadCount.parse(Array("XThreads:\t9\n".utf8)) == 0)
        #expect(ThreadCount.parse(Array("Name:\tx\nThreads:\t\n".utf8)) == 0)
        #expect(ThreadCount.parse(Array("Threads:  12".utf8)) == 12)
    }

    @Test func thisProcess() {
        #expect(ThreadCount.current() >= 1)
    }
}
