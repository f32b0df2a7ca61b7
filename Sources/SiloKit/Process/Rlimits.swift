/// `--ulimit NAME=SOFT[:HARD]`, as docker spells it. The child sets the limits from inside its
/// user namespace, where raising a hard limit needs CAP_SYS_RESOURCE in the initial namespace,
/// which the container never has: a hard limit can only be kept or lowered. The parent checks
/// that against its own limits (the child inherits them) so the error comes before clone.
public enum Rlimits {
    /// RLIMIT_* numbers (asm-generic/resource.h, also x86).
    public static let resources: [(name: String, resource: Int32)] = [
        ("cpu", 0), ("fsize", 1), ("data", 2), ("stack", 3), ("core", 4), ("nproc", 6), ("nofile", 7),
        ("memlock", 8), ("as", 9), ("locks", 10), ("sigpending", 11), ("msgqueue", 12), ("nice", 13),
        ("rtprio", 14), ("rttime", 15),
    ]

    public static let infinity = UInt64.max

    /// One `NAME=SOFT[:HARD]`; SOFT alone sets both, and `unlimited` or -1 means no limit.
    public static func parse(_ spec: String) throws(RuntimeError) -> Rlimit {
        guard let eq = spec.firstIndex(of: "=") else {
            throw RuntimeError(.usage, "ulimit \(spec): expected NAME=SOFT[:HARD], e.g. nofile=1024:2048")
        }
        let name = spec[..<eq].lowercased()
        guard let r = resources.first(where: { $0.name == name }) else {
            throw RuntimeError(.usage, "ulimit \(spec): unknown limit `\(name)` (expected one of \(resources.map(\.name).joined(separator: ", ")))")
        }
        let values = spec[spec.index(after: eq)...].split(separator: ":", omittingEmptySubsequences: false)
        guard values.count == 1 || values.count == 2 else {
            throw RuntimeError(.usage, "ulimit \(spec): expected NAME=SOFT[:HARD]")
        }
        func value(_ s: Substring) throws(RuntimeError) -> UInt64 {
            if s == "unlimited" || s == "-1" { return infinity }
            guard let n = UInt64(s) else {
                throw RuntimeError(.usage, "ulimit \(spec): `\(s)` is not a number (or `unlimited`)")
            }
            return n
        }
        let soft = try value(values[0])
        let hard = values.count == 2 ? try value(values[1]) : soft
        guard soft <= hard else {
            throw RuntimeError(.usage, "ulimit \(spec): the soft limit is above the hard limit")
        }
        return Rlimit(resource: r.resource, name: r.name, soft: soft, hard: hard)
    }

    /// All `--ulimit` values (a later one for the same limit wins), checked against the limits
    /// the child will inherit: `current(resource)` is the parent's (soft, hard).
    public static func plan(_ specs: [String], current: (Int32) -> (soft: UInt64, hard: UInt64)?) throws(RuntimeError) -> [Rlimit] {
        var out: [Rlimit] = []
        for spec in specs {
            let r = try parse(spec)
            if let cur = current(r.resource), r.hard > cur.hard {
                throw RuntimeError(.usage, "ulimit \(spec): cannot raise the hard limit above \(describe(cur.hard)) without CAP_SYS_RESOURCE (the container's user namespace never has it)")
            }
            out.removeAll { $0.resource == r.resource }
            out.append(r)
        }
        return out
    }

    public static func describe(_ v: UInt64) -> String { v == infinity ? "unlimited" : "\(v)" }
}
