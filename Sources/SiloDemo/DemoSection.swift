import SiloKit
import SiloSpec
import SiloSys
/// One namespace of `silo demo`: what it isolates, and the evidence measured on each side.
public struct DemoSection: Sendable {
    public enum Verdict: String, Sendable {
        case isolated = "ISOLATED"
        case notIsolated = "NOT ISOLATED"
        case failed = "FAILED"
    }

    /// What the kind-specific evidence says, before it is weighed with the namespace identity.
    enum Evidence {
        case isolated(String)
        case shared(String)
        /// The evidence cannot tell (e.g. a host with no interface but lo): identity decides.
        case inconclusive(String)
        case failed(String)
    }

    /// One line of the side-by-side table. nil is "not measured"; lines are shown as they are.
    public struct Row: Sendable {
        public var key: String
        public var label: String
        public var host: [String]?
        public var container: [String]?
    }

    public struct About: Sendable {
        public var kind: NamespaceKind
        public var title: String
        public var cloneFlag: String
        public var since: String
        public var text: String
    }

    public internal(set) var about: About
    public internal(set) var shared: Bool
    public internal(set) var rows: [Row] = []
    public internal(set) var notes: [String] = []
    public internal(set) var verdict: Verdict = .failed
    public internal(set) var reason = ""
    /// The script run in the container, for whoever wants to repeat it by hand.
    var script = ""

    init(_ about: About, shared: Bool) {
        self.about = about
        self.shared = shared
    }

    mutating func row(_ key: String, _ label: String, host: [String]?, container: [String]?) {
        rows.append(Row(key: key, label: label, host: host, container: container))
    }

    mutating func row(_ key: String, _ label: String, host: String?, container: String?) {
        row(key, label, host: host.map { [$0] }, container: container.map { [$0] })
    }

    /// The first rows of every section: the namespace on each side, and the container's as the
    /// host saw it through /proc/PID/ns while the container ran.
    mutating func identityRows(_ run: DemoRun) {
        let k = about.kind.rawValue
        row("namespace", "namespace (/proc/self/ns)", host: ProcFS.namespace(k), container: run.blocks.first("ns"))
        row("namespace_from_host", "its process, seen by host", host: run.namespaceFromHost.map { "PID \(run.pid): \($0)" }, container: nil)
    }

    mutating func fail(_ why: String) {
        verdict = .failed
        reason = why
    }

    /// Weighs the namespace identity (the inode of /proc/PID/ns/KIND on each side) with the
    /// kind's own evidence; both must agree, or the section fails.
    mutating func decide(hostNamespace: String?, containerNamespace: String?, _ evidence: Evidence) {
        guard let hostNamespace else { return fail("cannot read the host's /proc/self/ns/\(about.kind)") }
        guard let containerNamespace, containerNamespace.hasPrefix(about.kind.rawValue + ":[") else {
            return fail("the container did not report its /proc/self/ns/\(about.kind)")
        }
        let same = hostNamespace == containerNamespace
        switch evidence {
        case let .failed(why):
            fail(why)
        case let .isolated(why):
            if same {
                fail("the container is in the host's \(about.kind) namespace (\(hostNamespace)), yet \(why)")
            } else {
                verdict = .isolated
                reason = why
            }
        case let .shared(why):
            if same {
                verdict = .notIsolated
                reason = "the host's own \(about.kind) namespace (\(hostNamespace)): \(why)"
            } else {
                fail("the container has a \(about.kind) namespace of its own, yet \(why)")
            }
        case let .inconclusive(why):
            verdict = same ? .notIsolated : .isolated
            reason = (same ? "the host's own \(about.kind) namespace (\(hostNamespace))" : "a \(about.kind) namespace of its own") + "; " + why
        }
    }
}
