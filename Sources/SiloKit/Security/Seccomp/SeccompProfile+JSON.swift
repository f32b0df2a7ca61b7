import SiloSpec
import SiloSys

extension SeccompProfile {
    /// What the Docker-only `includes` / `excludes` of a rule are checked against.
    public struct Context: Sendable {
        /// Capability names (CAP_SYS_ADMIN) the container keeps in its bounding set.
        public var capabilities: Set<String>
        /// Go's name of the native architecture ("amd64"), as Docker profiles spell it.
        public var goArchitecture: String
        /// The running kernel's (major, minor).
        public var kernel: (Int, Int)

        public init(capabilities: Set<String>, goArchitecture: String = "amd64", kernel: (Int, Int) = (6, 18)) {
            self.capabilities = capabilities
            self.goArchitecture = goArchitecture
            self.kernel = kernel
        }
    }

    static let actions: [String: SeccompAction] = [
        "SCMP_ACT_ALLOW": .allow, "SCMP_ACT_ERRNO": .errno(1), "SCMP_ACT_KILL": .killThread,
        "SCMP_ACT_KILL_THREAD": .killThread, "SCMP_ACT_KILL_PROCESS": .killProcess, "SCMP_ACT_TRAP": .trap,
        "SCMP_ACT_TRACE": .trace(1), "SCMP_ACT_LOG": .log,
    ]

    static let operators: [String: SeccompOperator] = [
        "SCMP_CMP_NE": .notEqual, "SCMP_CMP_LT": .lessThan, "SCMP_CMP_LE": .lessOrEqual, "SCMP_CMP_EQ": .equal,
        "SCMP_CMP_GE": .greaterOrEqual, "SCMP_CMP_GT": .greaterThan, "SCMP_CMP_MASKED_EQ": .maskedEqual,
    ]

    /// Parses an OCI (`linux.seccomp` of config.json) or Docker (`--security-opt seccomp=`)
    /// profile. Every fault is an error naming its JSON path; nothing falls back to no filter.
    /// `isKnown` says whether libseccomp can name a syscall (tests pass their own).
    public static func parse(json text: String, source: String, context: Context,
                             isKnown: (String) -> Bool = { Seccomp.syscallNumber($0) != nil },
                             knowsArchitecture: (String) -> Bool = Seccomp.knowsArchitecture) throws(RuntimeError) -> SeccompProfile {
        let r = ProfileReader(source: source)
        let doc: JSON
        do { doc = try JSON.parse(text) } catch { throw r.fail("", "\(error)") }
        guard case .object(let top) = doc else { throw r.fail("", "expected an object, found \(doc.kind)") }
        let topKeys: Set<String> = ["defaultAction", "defaultErrnoRet", "architectures", "archMap", "flags", "listenerPath",
                                    "listenerMetadata", "syscalls"]
        for m in top where !topKeys.contains(m.key) { throw r.fail(m.key, "unknown field") }

        let defaultAction = try r.action(doc["defaultAction"], errnoRet: doc["defaultErrnoRet"], "defaultAction", "defaultErrnoRet")
        let archs = try r.architectures(doc, knowsArchitecture: knowsArchitecture)
        for (i, f) in try r.strings(doc["flags"], "flags").enumerated() where f != "SECCOMP_FILTER_FLAG_TSYNC" {
            // TSYNC is moot for a single-threaded child; the others change what the filter does.
            throw r.fail("flags[\(i)]", "flag \"\(f)\" is not supported by silo")
        }
        if let l = doc["listenerPath"], l != .null, l != .string("") {
            throw r.fail("listenerPath", "a seccomp agent (SCMP_ACT_NOTIFY) is not supported by silo")
        }

        var profile = SeccompProfile(defaultAction: defaultAction, architectures: archs, rules: [])
        guard let syscalls = doc["syscalls"], syscalls != .null else { return profile }
        guard case .array(let entries) = syscalls else { throw r.fail("syscalls", "expected an array, found \(syscalls.kind)") }
        let ruleKeys: Set<String> = ["names", "name", "action", "errnoRet", "args", "comment", "includes", "excludes"]
        for (i, entry) in entries.enumerated() {
            let path = "syscalls[\(i)]"
            guard case .object(let members) = entry else { throw r.fail(path, "expected an object, found \(entry.kind)") }
            for m in members where !ruleKeys.contains(m.key) { throw r.fail("\(path).\(m.key)", "unknown field") }
            let (known, skipped) = try r.names(entry, path, isKnown: isKnown)
            let act = try r.action(entry["action"], errnoRet: entry["errnoRet"], "\(path).action", "\(path).errnoRet")
            let conditions = try r.conditions(entry, path)
            guard try applies(entry, path: path, context: context, fail: r.fail) else { continue }
            for name in known { profile.rules.append(SeccompRule(name, act, conditions)) }
            profile.skipped += skipped
        }
        return profile
    }

    /// Docker's `includes` / `excludes`: a rule that holds only for some capabilities,
    /// architectures or kernels.
    static func applies(_ entry: JSON, path: String, context: Context,
                        fail: (String, String) -> RuntimeError) throws(RuntimeError) -> Bool {
        func list(_ v: JSON?, _ p: String) throws(RuntimeError) -> [String] {
            guard let v, v != .null else { return [] }
            guard case .array(let items) = v else { throw fail(p, "expected an array of strings, found \(v.kind)") }
            var out: [String] = []
            for (i, item) in items.enumerated() {
                guard case .string(let s) = item else { throw fail("\(p)[\(i)]", "expected a string, found \(item.kind)") }
                out.append(s)
            }
            return out
        }
        let filterKeys: Set<String> = ["caps", "arches", "minKernel"]
        if let inc = entry["includes"], inc != .null {
            guard case .object(let m) = inc else { throw fail("\(path).includes", "expected an object, found \(inc.kind)") }
            for x in m where !filterKeys.contains(x.key) { throw fail("\(path).includes.\(x.key)", "unknown field") }
            let arches = try list(inc["arches"], "\(path).includes.arches")
            if !arches.isEmpty && !arches.contains(context.goArchitecture) { return false }
            for c in try list(inc["caps"], "\(path).includes.caps") where !context.capabilities.contains(c) { return false }
            if let k = inc["minKernel"], k != .null {
                guard case .string(let s) = k else { throw fail("\(path).includes.minKernel", "expected a string, found \(k.kind)") }
                let parts = s.split(separator: ".").map { Int($0) }
                guard parts.count >= 2, let major = parts[0], let minor = parts[1] else {
                    throw fail("\(path).includes.minKernel", "expected MAJOR.MINOR, found \"\(s)\"")
                }
                if context.kernel.0 < major || (context.kernel.0 == major && context.kernel.1 < minor) { return false }
            }
        }
        if let exc = entry["excludes"], exc != .null {
            guard case .object(let m) = exc else { throw fail("\(path).excludes", "expected an object, found \(exc.kind)") }
            for x in m where !filterKeys.contains(x.key) || x.key == "minKernel" { throw fail("\(path).excludes.\(x.key)", "unknown field") }
            if try list(exc["arches"], "\(path).excludes.arches").contains(context.goArchitecture) { return false }
            for c in try list(exc["caps"], "\(path).excludes.caps") where context.capabilities.contains(c) { return false }
        }
        return true
    }

    static func describe(_ v: JSON) -> String {
        switch v {
        case .number(let n): n
        case .string(let s): "\"\(s)\""
        default: v.kind
        }
    }
}

/// The readers of `SeccompProfile.parse`: each names the JSON path of what it refuses.
private struct ProfileReader {
    let source: String

    func fail(_ path: String, _ why: String) -> RuntimeError {
        RuntimeError(.usage, "seccomp profile \(source): \(path.isEmpty ? "" : path + ": ")\(why)")
    }

    func string(_ v: JSON?, _ path: String) throws(RuntimeError) -> String {
        guard let v else { throw fail(path, "missing") }
        guard case .string(let s) = v else { throw fail(path, "expected a string, found \(v.kind)") }
        return s
    }

    func strings(_ v: JSON?, _ path: String) throws(RuntimeError) -> [String] {
        guard let v, v != .null else { return [] }
        guard case .array(let items) = v else { throw fail(path, "expected an array of strings, found \(v.kind)") }
        var out: [String] = []
        for (i, item) in items.enumerated() { out.append(try string(item, "\(path)[\(i)]")) }
        return out
    }

    func errnoValue(_ v: JSON, _ path: String) throws(RuntimeError) -> UInt16 {
        guard let n = v.uint64 else { throw fail(path, "expected a whole number from 0 to 4095, found \(SeccompProfile.describe(v))") }
        guard n <= 4095 else { throw fail(path, "errno \(n) is out of range (0 to 4095)") }
        return UInt16(n)
    }

    func action(_ v: JSON?, errnoRet: JSON?, _ path: String, _ errnoPath: String) throws(RuntimeError) -> SeccompAction {
        let name = try string(v, path)
        guard let a = SeccompProfile.actions[name] else {
            if name == "SCMP_ACT_NOTIFY" { throw fail(path, "SCMP_ACT_NOTIFY needs a seccomp agent, which silo does not have") }
            throw fail(path, "unknown action \"\(name)\"")
        }
        guard let errnoRet, errnoRet != .null else { return a }
        let e = try errnoValue(errnoRet, errnoPath)
        switch a {
        case .errno: return .errno(e)
        case .trace: return .trace(e)
        default: throw fail(errnoPath, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not \(name)")
        }
    }

    /// `architectures`, or Docker's `archMap` entry for the native architecture with its
    /// sub-architectures, as libseccomp names them.
    func architectures(_ doc: JSON, knowsArchitecture: (String) -> Bool) throws(RuntimeError) -> [String] {
        var archs: [String] = []
        func addArch(_ name: String, _ path: String) throws(RuntimeError) {
            guard name.hasPrefix("SCMP_ARCH_"), knowsArchitecture(String(name.dropFirst(10)).lowercased()) else {
                throw fail(path, "unknown architecture \"\(name)\"")
            }
            let a = String(name.dropFirst(10)).lowercased()
            if !archs.contains(a) { archs.append(a) }
        }
        let listed = try strings(doc["architectures"], "architectures")
        for (i, a) in listed.enumerated() { try addArch(a, "architectures[\(i)]") }
        if listed.isEmpty, let map = doc["archMap"], map != .null {
            guard case .array(let entries) = map else { throw fail("archMap", "expected an array, found \(map.kind)") }
            let native = "SCMP_ARCH_" + Seccomp.nativeArchitecture.uppercased()
            for (i, e) in entries.enumerated() {
                let arch = try string(e["architecture"], "archMap[\(i)].architecture")
                guard arch == native else { continue }
                try addArch(arch, "archMap[\(i)].architecture")
                for (j, s) in try strings(e["subArchitectures"], "archMap[\(i)].subArchitectures").enumerated() {
                    try addArch(s, "archMap[\(i)].subArchitectures[\(j)]")
                }
            }
        }
        return archs
    }

    /// A rule's syscall names: those libseccomp knows, and the Linux syscalls it cannot name
    /// (skipped, with a warning); anything else is an error.
    func names(_ entry: JSON, _ path: String, isKnown: (String) -> Bool) throws(RuntimeError) -> (known: [String], skipped: [SeccompProfile.Skipped]) {
        var names: [(name: String, path: String)] = []
        for (k, n) in try strings(entry["names"], "\(path).names").enumerated() { names.append((n, "\(path).names[\(k)]")) }
        if let single = entry["name"], single != .null { names.append((try string(single, "\(path).name"), "\(path).name")) }
        if names.isEmpty { throw fail("\(path).names", "no syscall names") }
        var known: [String] = []
        var skipped: [SeccompProfile.Skipped] = []
        for (name, np) in names {
            if name.isEmpty { throw fail(np, "empty syscall name") }
            if isKnown(name) {
                known.append(name)
            } else if LinuxSyscallNames.all.contains(name) {
                skipped.append(SeccompProfile.Skipped(name: name, path: np))
            } else {
                throw fail(np, "\"\(name)\" is not a Linux syscall")
            }
        }
        return (known, skipped)
    }

    func conditions(_ entry: JSON, _ path: String) throws(RuntimeError) -> [SeccompCondition] {
        guard let args = entry["args"], args != .null else { return [] }
        guard case .array(let items) = args else { throw fail("\(path).args", "expected an array, found \(args.kind)") }
        var conditions: [SeccompCondition] = []
        for (j, a) in items.enumerated() { conditions.append(try condition(a, "\(path).args[\(j)]")) }
        return conditions
    }

    func condition(_ a: JSON, _ ap: String) throws(RuntimeError) -> SeccompCondition {
        let argKeys: Set<String> = ["index", "value", "valueTwo", "op"]
        guard case .object(let am) = a else { throw fail(ap, "expected an object, found \(a.kind)") }
        for m in am where !argKeys.contains(m.key) { throw fail("\(ap).\(m.key)", "unknown field") }
        guard let indexJSON = a["index"] else { throw fail("\(ap).index", "missing") }
        guard let index = indexJSON.uint64, index <= 5 else {
            throw fail("\(ap).index", "expected an argument index from 0 to 5, found \(SeccompProfile.describe(indexJSON))")
        }
        guard let valueJSON = a["value"] else { throw fail("\(ap).value", "missing") }
        guard let value = valueJSON.uint64 else {
            throw fail("\(ap).value", "expected an unsigned 64-bit number, found \(SeccompProfile.describe(valueJSON))")
        }
        var valueTwo: UInt64 = 0
        if let v2 = a["valueTwo"], v2 != .null {
            guard let n = v2.uint64 else { throw fail("\(ap).valueTwo", "expected an unsigned 64-bit number, found \(SeccompProfile.describe(v2))") }
            valueTwo = n
        }
        let opName = try string(a["op"], "\(ap).op")
        guard let op = SeccompProfile.operators[opName] else { throw fail("\(ap).op", "unknown operator \"\(opName)\"") }
        return SeccompCondition(index: UInt32(index), op: op, value: value, valueTwo: valueTwo)
    }
}
