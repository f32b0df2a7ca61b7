#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// `silo run -d [-t [-i]] [--name NAME] [--rm] [--log-max SIZE]` (docs/containers.md).
extension RunCommand {
    static func detachOptions(_ r: ArgumentParser.Result, into c: inout RunConfig) throws(RuntimeError) {
        guard r.flag("--detach") else {
            for o in ["--name", "--rm", "--log-max"] where r.has(o) {
                throw RuntimeError(.usage, "run \(o): only for a detached container (-d); a foreground run's state goes when it exits")
            }
            return
        }
        // -dt: the monitor holds the pty and `silo attach` reaches it; without -t there is no
        // stdin for attach to feed (the container's is /dev/null).
        if r.flag("--interactive") && !r.flag("--tty") {
            throw RuntimeError(.usage, "run -d -i: a detached container's stdin is its terminal: use -dit, then `silo attach ID`")
        }
        var o = DetachOptions(name: r.last("--name"), removeOnExit: r.flag("--rm"))
        if let size = r.last("--log-max") {
            let unit: Int = switch size.last { case "k", "K": 1 << 10; case "m", "M": 1 << 20; case "g", "G": 1 << 30; default: 1 }
            let digits = unit == 1 ? Substring(size) : size.dropLast()
            guard let n = Int(digits), n > 0, n <= (1 << 40) / unit else {
                throw RuntimeError(.usage, "log-max `\(size)`: expected a size such as 512k or 10m")
            }
            o.logLimit = n * unit
        }
        c.detach = o
    }

    /// Starts the container under its monitor, prints its id once the command runs.
    static func detached(_ config: RunConfig, root: String?) throws(CommandFailure) -> Int32 {
        guard let options = config.detach else { return 125 }
        do throws(RuntimeError) {
            let store = try ContainerStateStore(root: root)
            let started = try DetachedRun.start(config, options, store: store)
            for w in started.warnings { Output.error("silo: warning: \(w)") }
            Output.out(started.id)
            return 0
        } catch {
            throw CommandFailure(ExitStatus.of(error), message(error, config))
        }
    }
}
