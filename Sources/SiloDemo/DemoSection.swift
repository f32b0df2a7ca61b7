import SiloKit
import SiloSpec
import SiloSys

/// One namespace of `silo demo`: what it isolates, and the evidence measured on each side.
public struct DemoSection: Sendable {
    public enum Verdict: String, Sendable {
        case isolated = "ISOLATED"
        case notIsolated = "NOT ISOLATED"
        case failed = "FAILED"

        public func text(_ l: DemoLanguage) -> String {
            switch self {
            case .isolated: l.t(rawValue, "已隔离")
            case .notIsolated: l.t(rawValue, "未隔离")
            case .failed: l.t(rawValue, "失败")
            }
        }
    }

    /// What the kind-specific evidence says, before it is weighed with the namespace identity.
    enum Evidence {
        case isolated(String)
        case shared(String)
        /// The evidence cannot tell (e.g. a host with no interface but lo): identity decides.
        case inconclusive(String)
        case failed(String)
    }

    /// One line of the side-by-side table. nil is "not measured".
    public struct Row: Sendable {
        public var key: String
        public var label: String
        public var host: DemoValue?
        public var container: DemoValue?
    }

    public struct About: Sendable {
        public var kind: NamespaceKind
        public var title: String
        public var cloneFlag: String
        public var since: String
        public var text: String
    }

    public let lang: DemoLanguage
    public internal(set) var about: About
    public internal(set) var shared: Bool
    public internal(set) var rows: [Row] = []
    public internal(set) var notes: [String] = []
    public internal(set) var verdict: Verdict = .failed
    public internal(set) var reason = ""
    /// Why the verdict is what it is: the kernel rule behind it, in one line.
    public internal(set) var why = ""
    /// The script run in the container, for whoever wants to repeat it by hand.
    public internal(set) var script = ""
    /// The namespace system calls silo makes for this section's container (`--step` shows them).
    public internal(set) var syscalls: [String] = []
    /// The container's first process and its launcher (`silo run`), as the host numbers them.
    public internal(set) var containerPID: Int32?
    public internal(set) var launcherPID: Int32?
    /// /proc/self/ns/KIND on each side ("uts:[4026531838]").
    public internal(set) var hostNamespace: String?
    public internal(set) var containerNamespace: String?
    /// True when the container was left running (`--keep`).
    public internal(set) var kept = false

    init(_ about: About, shared: Bool, lang: DemoLanguage = .en) {
        self.about = about
        self.shared = shared
        self.lang = lang
    }

    func t(_ en: String, _ zh: String) -> String { lang.t(en, zh) }

    mutating func row(_ key: String, _ label: String, host: DemoValue?, container: DemoValue?) {
        rows.append(Row(key: key, label: label, host: host, container: container))
    }

    mutating func row(_ key: String, _ label: String, host: [String]?, container: [String]?) {
        row(key, label, host: host.map { .list($0) }, container: container.map { .list($0) })
    }

    mutating func row(_ key: String, _ label: String, host: String?, container: String?) {
        row(key, label, host: host.map { .text($0) }, container: container.map { .text($0) })
    }

    /// The first rows of every section: the namespace on each side, and the container's as the
    /// host saw it through /proc/PID/ns while the container ran.
    mutating func identityRows(_ run: DemoRun) {
        let k = about.kind.rawValue
        hostNamespace = ProcFS.namespace(k)
        containerNamespace = run.blocks.first("ns")
        func value(_ link: String?) -> DemoValue? {
            link.map { DemoValue(lines: [$0], json: ProcFS.inode($0).map { .integer($0) } ?? .string($0)) }
        }
        row("namespace", t("namespace (/proc/self/ns)", "命名空间 (/proc/self/ns)"), host: value(hostNamespace), container: value(containerNamespace))
        row("namespace_from_host", t("its process, seen by host", "从主机看它的进程"),
            host: run.namespaceFromHost.map { DemoValue(lines: ["PID \(run.pid): \($0)"], json: ProcFS.inode($0).map { .integer($0) } ?? .string($0)) },
            container: nil)
    }

    mutating func fail(_ why: String) {
        verdict = .failed
        reason = why
    }

    /// Weighs the namespace identity (the inode of /proc/PID/ns/KIND on each side) with the
    /// kind's own evidence; both must agree, or the section fails.
    mutating func decide(hostNamespace: String?, containerNamespace: String?, _ evidence: Evidence) {
        let k = about.kind.rawValue
        guard let hostNamespace else { return fail(t("cannot read the host's /proc/self/ns/\(k)", "读不到主机的 /proc/self/ns/\(k)")) }
        guard let containerNamespace, containerNamespace.hasPrefix(k + ":[") else {
            return fail(t("the container did not report its /proc/self/ns/\(k)", "容器没有报告它的 /proc/self/ns/\(k)"))
        }
        let same = hostNamespace == containerNamespace
        switch evidence {
        case let .failed(why):
            fail(why)
        case let .isolated(why):
            if same {
                fail(t("the container is in the host's \(k) namespace (\(hostNamespace)), yet \(why)", "容器就在主机的 \(k) 命名空间里（\(hostNamespace)），可是\(why)"))
            } else {
                verdict = .isolated
                reason = why
            }
        case let .shared(why):
            if same {
                verdict = .notIsolated
                reason = t("the host's own \(k) namespace (\(hostNamespace)): \(why)", "用的是主机自己的 \(k) 命名空间（\(hostNamespace)）：\(why)")
            } else {
                fail(t("the container has a \(k) namespace of its own, yet \(why)", "容器有自己的 \(k) 命名空间，可是\(why)"))
            }
        case let .inconclusive(why):
            verdict = same ? .notIsolated : .isolated
            reason = (same ? t("the host's own \(k) namespace (\(hostNamespace))", "用的是主机自己的 \(k) 命名空间（\(hostNamespace)）")
                : t("a \(k) namespace of its own", "有自己的 \(k) 命名空间")) + t("; ", "；") + why
        }
    }
}
