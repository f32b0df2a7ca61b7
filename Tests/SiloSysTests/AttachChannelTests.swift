import Foundation
import SiloSys
import Testing

/// The attach socket's own rules (docs/terminals.md, "Attach"): owner-only, one message per
/// send with its type byte, the window size's encoding.
struct AttachChannelTests {
    @Test func windowSizeRoundTrips() {
        let bytes = AttachChannel.window(rows: 300, columns: 0x1234)
        #expect(bytes == [0x01, 0x2C, 0x12, 0x34])
        let back = AttachChannel.window(from: bytes[...])
        #expect(back?.rows == 300 && back?.columns == 0x1234)
        #expect(AttachChannel.window(from: [1, 2, 3][...]) == nil)
    }

    /// Also past sun_path's 107 bytes (a state root such as /tmp/silo-detached-XXXXXXXX and a
    /// 64-digit id): reached through the directory's fd.
    @Test(arguments: [0, 120])
    func socketIsOwnerOnlyAndKeepsMessageBoundaries(_ padding: Int) throws {
        let top = FileManager.default.temporaryDirectory.appendingPathComponent("attach-\(UInt32.random(in: 0...UInt32.max))").path
        let dir = top + "/" + String(repeating: "d", count: padding)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: top) }
        let path = dir + "/" + AttachChannel.socketName
        let listener = try AttachChannel.listen(path)
        defer { close(listener) }
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600, "mode \(String(st.st_mode & 0o777, radix: 8))")
        #expect(AttachChannel.accept(listener) == -1, "non-blocking: nobody is waiting")
        let client = try AttachChannel.connect(path)
        defer { close(client) }
        let server = AttachChannel.accept(listener)
        defer { close(server) }
        #expect(server >= 0 && fcntl(server, F_GETFD) & FD_CLOEXEC != 0 && fcntl(server, F_GETFL) & O_NONBLOCK != 0)
        #expect(AttachChannel.send(.output, Array("ab".utf8), to: server))
        #expect(AttachChannel.send(.exit, Array("7".utf8), to: server))
        var buffer = [UInt8](repeating: 0, count: AttachChannel.maxMessage)
        var got: [[UInt8]] = []
        for _ in 0..<2 {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            got.append(Array(buffer[0..<max(n, 0)]))
        }
        #expect(got == [[0x6F, 0x61, 0x62], [0x78, 0x37]], "two messages, each with its type byte")
    }
}
