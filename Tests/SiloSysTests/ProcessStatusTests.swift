import Testing
@testable import SiloSys

@Suite struct ProcessStatusTests {
    @Test func parsesThreadsAndIgnoredSignals() {
        let status = "Name:\tsilo\nUmask:\t0022\nTgid:\t42\nThreads:\t3\nSigQ:\t0/9\nSigBlk:\t0000000000010000\nSigIgn:\t0000000000001001\n"
        #expect(ProcessStatus.parse(Array(status.utf8)) == ProcessStatus(threads: 3, ignoredSignals: 0x1001))
    }

    @Test func onlyAtLineStartAndWithDigits() {
        #expect(ProcessStatus.parse(Array("XThreads:\t9\n".utf8)).threads == 0)
        #expect(ProcessStatus.parse(Array("Name:\tx\nThreads:\t\n".utf8)).threads == 0)
        #expect(ProcessStatus.parse(Array("Threads:  12".utf8)).threads == 12)
        #expect(ProcessStatus.parse(Array("SigIgn:\tffffffffffffffff\n".utf8)).ignoredSignals == .max)
        #expect(ProcessStatus.parse(Array("SigIgn:\t1ffffffffffffffff\n".utf8)).ignoredSignals == .max)  // unreadable: reset all
    }

    @Test func aMissingSigIgnLineMeansResetEverySignal() {
        #expect(ProcessStatus.parse(Array("Threads:\t1\n".utf8)) == ProcessStatus(threads: 1, ignoredSignals: .max))
    }

    @Test func thisProcess() {
        #expect(ProcessStatus.current().threads >= 1)
    }
}
