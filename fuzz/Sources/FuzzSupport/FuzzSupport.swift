#if canImport(Glibc)
import Glibc
#endif
import CFuzzer

nonisolated(unsafe) private var body: ([UInt8]) -> Void = { _ in }

/// libFuzzer's entry point for one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    body(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// Runs libFuzzer with `test` as the target: call it from main.swift's top-level code.
/// A crash (trap, overflow, out-of-range index, ASan report) is a finding; a thrown error is not.
public func fuzz(_ test: @escaping ([UInt8]) -> Void) -> Never {
    body = test
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}

/// A property the target checks: a failure is reported and ends the run as a crash.
public func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

/// The input cut at NUL bytes: an argument vector, or the fields of a multi-part input.
public func fields(_ bytes: [UInt8], limit: Int = Int.max) -> [String] {
    bytes.split(separator: 0, maxSplits: limit, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
}

/// A file for targets whose parser takes a path: in $SILO_FUZZ_TMP (run.sh makes and removes
/// it), else /tmp, named after the process.
public func scratchFile(_ name: String) -> String {
    let dir = getenv("SILO_FUZZ_TMP").map { String(cString: $0) } ?? "/tmp"
    return "\(dir)/silo-fuzz-\(name)-\(getpid())"
}

/// Replaces the file's contents with `bytes`.
public func write(_ bytes: [UInt8], to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { fatalError("open \(path): errno \(errno)") }
    var done = 0
    while done < bytes.count {
        let n = bytes[done...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { fatalError("write \(path): errno \(errno)") }
        done += n
    }
    close(fd)
}
