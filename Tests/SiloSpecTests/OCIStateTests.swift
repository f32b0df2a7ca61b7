import Testing
@testable import SiloSpec

@Suite struct OCIStateTests {
    @Test func printedLikeRunc() {
        let s = OCIState(id: "c1", status: .running, pid: 4242, bundle: "/b/c1", annotations: ["z": "1", "a": "x\"y"])
        #expect(s.printed == """
        {
          "ociVersion": "1.1.0",
          "id": "c1",
          "status": "running",
          "pid": 4242,
          "bundle": "/b/c1",
          "annotations": {
            "a": "x\\"y",
            "z": "1"
          }
        }

        """)
    }

    /// Hooks read the state on stdin: one compact document, no newline, pid present while the
    /// container has a process, annotations only when there are any.
    @Test func hookInput() {
        let created = OCIState(id: "c1", status: .created, pid: 77, bundle: "/run/b")
        #expect(String(decoding: created.hookInput, as: UTF8.self)
            == #"{"ociVersion":"1.1.0","id":"c1","status":"created","pid":77,"bundle":"/run/b"}"#)
        let stopped = OCIState(id: "c1", status: .stopped, pid: nil, bundle: "/run/b", annotations: ["k": "v"])
        #expect(String(decoding: stopped.hookInput, as: UTF8.self)
            == #"{"ociVersion":"1.1.0","id":"c1","status":"stopped","bundle":"/run/b","annotations":{"k":"v"}}"#)
        #expect(created.hookInput.last == UInt8(ascii: "}"))
        // A pid of 0 is no process: left out, as Go's omitempty does.
        #expect(String(decoding: OCIState(id: "c", status: .stopped, pid: 0, bundle: "/b").hookInput, as: UTF8.self)
            == #"{"ociVersion":"1.1.0","id":"c","status":"stopped","bundle":"/b"}"#)
    }

    @Test(arguments: OCIState.Status.allCases)
    func roundTrip(_ status: OCIState.Status) throws {
        let s = OCIState(id: "ïd with space", status: status, pid: status == .stopped || status == .creating ? nil : 1,
                         bundle: "/b\n", annotations: ["org.example/x": "\u{01}"])
        #expect(try OCIState.parse(s.hookInput) == s)
        #expect(try OCIState.parse(Array(s.printed.utf8)) == s)
    }

    @Test func extraMembersAreIgnored() throws {
        let s = try OCIState.parse(Array(#"{"ociVersion": "1.0.2", "id": "x", "status": "paused", "pid": 9, "bundle": "/b", "rootfs": "/b/r", "created": "2026-01-01T00:00:00Z"}"#.utf8))
        #expect(s == OCIState(id: "x", status: .paused, pid: 9, bundle: "/b", ociVersion: "1.0.2"))
    }

    @Test(arguments: [
        (#"{"ociVersion": "1.1.0", "id": "x", "status": "gone", "bundle": "/b"}"#, #"state.json: .status: unknown status "gone""#),
        (#"{"ociVersion": "1.1.0", "id": "x", "status": "running", "bundle": "/b"}"#, "state.json: .pid: missing (required while the container is running)"),
        (#"{"ociVersion": "1.1.0", "id": "x", "status": "created", "pid": 0, "bundle": "/b"}"#, "state.json: .pid: missing (required while the container is created)"),
        (#"{"ociVersion": "1.1.0", "id": "x", "status": "stopped", "pid": -1, "bundle": "/b"}"#, "state.json: .pid: expected an integer from 0 to 2147483647, found -1"),
        (#"{"ociVersion": "1.1.0", "id": "x", "status": "stopped", "bundle": "b"}"#, #"state.json: .bundle: must be an absolute path, found "b""#),
        (#"{"ociVersion": "1.1.0", "id": "", "status": "stopped", "bundle": "/b"}"#, "state.json: .id: must not be empty"),
        (#"{"id": "x", "status": "stopped", "bundle": "/b"}"#, "state.json: .ociVersion: missing (a string is required)"),
        ("", "state.json: line 1, column 1: unexpected end of input, expected a value"),
    ] as [(String, String)])
    func parseErrors(_ text: String, _ message: String) {
        do {
            _ = try OCIState.parse(Array(text.utf8))
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description == message)
        }
    }
}
