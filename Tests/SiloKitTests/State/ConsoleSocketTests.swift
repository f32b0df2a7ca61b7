import Foundation
import Testing
import SiloSys
@testable import SiloKit

/// The console-socket protocol: one fd with SCM_RIGHTS and a payload byte, over a socketpair
/// and over a real listening socket path as conmon makes it.
@Suite(.serialized) struct ConsoleSocketTests {
    /// Sends the write end of a pipe and proves the received fd is that pipe.
    func passPipe(from sender: Int32, to receiver: Int32) throws {
        var p: [Int32] = [-1, -1]
        #expect(pipe(&p) == 0)
        defer { close(p[0]) }
        try UnixSocket.send(fd: p[1], over: sender)
        close(p[1])
        let (fd, payload) = try UnixSocket.receive(over: receiver)
        #expect(payload == [0x20])
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
        #expect(write(fd, "hi", 2) == 2)
        close(fd)
        var buf = [UInt8](repeating: 0, count: 8)
        #expect(read(p[0], &buf, 8) == 2)
        #expect(Array(buf[0..<2]) == Array("hi".utf8))
    }

    @Test func overASocketpair() throws {
        var sv: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &sv) == 0)
        defer { close(sv[0]); close(sv[1]) }
        try passPipe(from: sv[0], to: sv[1])
    }

    @Test func overAListeningPath() throws {
        let dir = StateTestSupport.tempDir("console")
        defer { StateTestSupport.removeTree(dir) }
        let path = dir + "/console.sock"
        let listener = try UnixSocket.listen(path)
        defer { close(listener) }
        let client = try UnixSocket.connect(path)
        defer { close(client) }
        let server = accept(listener, nil, nil)
        #expect(server >= 0)
        defer { close(server) }
        try passPipe(from: client, to: server)
    }

    @Test func errorsNameThePath() throws {
        let dir = StateTestSupport.tempDir("console-missing")
        defer { StateTestSupport.removeTree(dir) }
        let e = #expect(throws: SyscallError.self) { try UnixSocket.connect(dir + "/nothing.sock") }
        #expect(e?.description == "connect \(dir)/nothing.sock: No such file or directory")
        let long = "/tmp/" + String(repeating: "x", count: 120)
        #expect(throws: SyscallError("connect", errno: ENAMETOOLONG, object: long)) { try UnixSocket.connect(long) }
    }

    @Test func aMessageWithoutAnFdIsRefused() throws {
        var sv: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &sv) == 0)
        defer { close(sv[0]); close(sv[1]) }
        #expect(write(sv[0], "x", 1) == 1)
        #expect(throws: SyscallError("recvmsg", errno: EBADMSG, object: "")) { try UnixSocket.receive(over: sv[1]) }
    }
}
