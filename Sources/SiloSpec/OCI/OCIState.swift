/// The state of a container (runtime.md "State"): what `silo state` prints, what every hook
/// reads on its stdin, and the core of the state file silo keeps per container.
public struct OCIState: Equatable, Sendable {
    public enum Status: String, CaseIterable, Equatable, Sendable {
        case creating, created, running, stopped
        /// Not in the spec, but runc and crun report it for a frozen container and engines read it.
        case paused
    }

    public var ociVersion: String
    public var id: String
    public var status: Status
    /// The init's PID as seen from the runtime's PID namespace; required while created, running
    /// or paused, left out when 0 or nil (Go's omitempty, which engines' decoders expect).
    public var pid: Int32?
    /// Absolute path of the bundle directory.
    public var bundle: String
    public var annotations: [String: String]

    public init(id: String, status: Status, pid: Int32?, bundle: String, annotations: [String: String] = [:],
                ociVersion: String = OCISpec.version) {
        self.ociVersion = ociVersion
        self.id = id
        self.status = status
        self.pid = pid
        self.bundle = bundle
        self.annotations = annotations
    }

    /// Members in runc's order: ociVersion, id, status, pid, bundle, annotations.
    public var json: JSON {
        var m: [JSON.Member] = [.init("ociVersion", .string(ociVersion)), .init("id", .string(id)), .init("status", .string(status.rawValue))]
        if let pid, pid > 0 { m.append(.init("pid", .integer(pid))) }
        m.append(.init("bundle", .string(bundle)))
        if !annotations.isEmpty { m.append(.init("annotations", .stringMap(annotations))) }
        return .object(m)
    }

    /// What a hook gets on stdin: the state as one compact JSON document, no trailing newline
    /// (runc writes json.Marshal's bytes as they are; hooks such as podman's read to EOF).
    public var hookInput: [UInt8] { json.encodedBytes() }

    /// `silo state` output: indented by two spaces, as runc prints it, with a final newline.
    public var printed: String { json.encoded(indent: "  ") + "\n" }

    /// Reads a state document back (silo's own state file, or a test reading hook input).
    /// Unknown members are ignored, so silo's state file can carry more than the OCI fields.
    public static func parse(_ bytes: [UInt8], file: String = "state.json") throws(OCIError) -> OCIState {
        let doc = try OCINode.document(bytes, file: file).requiredObject()
        let statusNode = doc["status"]
        guard let s = try statusNode.oneOf(Status.allCases.map(\.rawValue), "status"), let status = Status(rawValue: s) else {
            throw statusNode.fail("missing (a string is required)")
        }
        let pid = try doc["pid"].integer(Int32.self, in: 0...Int32.max)
        if (pid ?? 0) == 0, status == .created || status == .running || status == .paused {
            throw doc["pid"].fail("missing (required while the container is \(status.rawValue))")
        }
        let bundle = doc["bundle"]
        guard let path = try bundle.absolutePath() else { throw bundle.fail("missing (an absolute path is required)") }
        let id = doc["id"]
        let name = try id.requiredString()
        if name.isEmpty { throw id.fail("must not be empty") }
        return OCIState(id: name, status: status, pid: pid == 0 ? nil : pid, bundle: path,
                        annotations: try doc["annotations"].stringMap() ?? [:],
                        ociVersion: try doc["ociVersion"].requiredString())
    }
}
