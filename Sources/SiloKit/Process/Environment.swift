import SiloSys

/// The container's environment: a clean one, never the host's.
public enum Environment {
    /// More than execve takes anyway (the whole environment must fit in a quarter of the stack
    /// limit, 2 MiB by default, one variable in 128 KiB): a bigger file is refused, not cut.
    public static let fileLimit = 1 << 20

    public static func make(config: RunConfig, hostname: String, home: String) throws(RuntimeError) -> [String] {
        var env: [(String, String)] = [("PATH", RunConfig.defaultPath), ("HOSTNAME", hostname), ("HOME", home)]
        if isatty(1) != 0 || isatty(0) != 0 {
            env.append(("TERM", ProcessEnvironment.value("TERM") ?? "xterm"))
        }
        func set(_ k: String, _ v: String) {
            if let i = env.firstIndex(where: { $0.0 == k }) { env[i].1 = v } else { env.append((k, v)) }
        }
        for file in config.envFiles {
            let text: String
            do { text = String(decoding: try RegularFile.read(file, limit: Environment.fileLimit), as: UTF8.self) } catch {
                throw RuntimeError(.usage, "--env-file \(file): \(error.reason)")
            }
            for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimming(" \t\r")
                if line.isEmpty || line.hasPrefix("#") { continue }
                guard let (k, v) = try parse(String(line), where: "env file \(file):\(i + 1)") else { continue }
                set(k, v)
            }
        }
        for e in config.env {
            guard let (k, v) = try parse(e, where: "env") else { continue }
            set(k, v)
        }
        return env.map { "\($0.0)=\($0.1)" }
    }

    /// `K=V`, or `K` alone to pass the host's value (skipped when unset), as docker does.
    static func parse(_ s: String, where place: String) throws(RuntimeError) -> (String, String)? {
        if let eq = s.firstIndex(of: "=") {
            let k = String(s[..<eq])
            guard !k.isEmpty else { throw RuntimeError(.usage, "\(place) `\(s)`: empty variable name") }
            return (k, String(s[s.index(after: eq)...]))
        }
        guard let v = ProcessEnvironment.value(s) else { return nil }
        return (s, v)
    }
}

#if canImport(Glibc)
import Glibc
#endif
