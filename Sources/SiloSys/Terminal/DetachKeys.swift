/// docker's detach sequence (`--detach-keys`, default ctrl-p,ctrl-q): bytes typed into an
/// interactive session that end the session and leave the process running. A prefix of the
/// sequence is held back until the next byte shows whether the sequence goes on; a byte that
/// breaks it sends the held bytes on, as docker does.
public struct DetachKeys: Equatable, Sendable {
    public let sequence: [UInt8]
    private var matched = 0

    public static let defaultSpec = "ctrl-p,ctrl-q"
    public static let `default` = DetachKeys(sequence: [0x10, 0x11])

    public init(sequence: [UInt8]) { self.sequence = sequence }

    /// docker's syntax: comma-separated keys, each one ASCII character or `ctrl-X` with X one of
    /// a-z, @, [, \, ], ^, _ (ctrl-a is 1 ... ctrl-_ is 31). An empty spec disables detaching.
    /// nil when the spec is not valid.
    public init?(parsing spec: String) {
        var bytes: [UInt8] = []
        if !spec.isEmpty {
            for key in spec.split(separator: ",", omittingEmptySubsequences: false) {
                let k = Array(key.utf8)
                if k.count == 1, k[0] >= 0x20, k[0] < 0x7f {
                    bytes.append(k[0])
                } else if k.count == 6, key.lowercased().hasPrefix("ctrl-") {
                    let c = k[5] >= 0x61 && k[5] <= 0x7a ? k[5] - 0x20 : k[5]  // lower case to upper
                    guard c >= 0x40 && c <= 0x5f else { return nil }
                    bytes.append(c - 0x40)
                } else {
                    return nil
                }
            }
        }
        self.init(sequence: bytes)
    }

    public enum Result: Equatable {
        /// Send these bytes on (held bytes first).
        case forward([UInt8])
        /// The whole sequence was typed: detach; `before` are the bytes of this read that
        /// preceded it, still to be sent.
        case detach(before: [UInt8])
    }

    /// Feeds the bytes of one read.
    public mutating func scan(_ input: some Collection<UInt8>) -> Result {
        guard !sequence.isEmpty else { return .forward(Array(input)) }
        var out: [UInt8] = []
        for b in input {
            if b == sequence[matched] {
                matched += 1
                if matched == sequence.count {
                    matched = 0
                    return .detach(before: out)
                }
                continue
            }
            out += sequence[0..<matched]
            matched = 0
            if b == sequence[0] { matched = 1 } else { out.append(b) }
        }
        return .forward(out)
    }
}
