#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSpec
import SiloSys

/// The verbs over `silo run -d` containers (docs/containers.md): ps, inspect, logs, stop, rm,
/// wait, top. Each takes an id, a name or a unique id prefix (ContainerLookup). Errors are
/// silo's exit status 125; `wait` prints the container's own status.
enum ContainerCommands {
    static func run(_ verb: String, _ args: [String], _ g: GlobalOptions) throws(CommandFailure) -> Int32 {
        do throws(RuntimeError) {
            switch verb {
            case "ps": return try ps(args, g)
            case "inspect": return try inspect(args, g)
            case "logs": return try logs(args, g)
            case "stop": return try stop(args, g)
            case "rm": return try rm(args, g)
            case "wait": return try wait(args, g)
            default: return try top(args, g)
            }
        } catch {
            throw CommandFailure(error)
        }
    }

    /// `silo ps ID ...` stays runc's process list (engines call it); without an ID it lists.
    static func isContainerList(_ args: [String]) -> Bool {
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--format" || a == "-f" { i += 2; continue }
            if !a.hasPrefix("-") { return false }
            i += 1
        }
        return true
    }

    static func ps(_ args: [String], _ g: GlobalOptions) throws(RuntimeError) -> Int32 {
        guard let r = try OCIArguments.parse(args, verb: "ps", usage: "ps [-a] [--json] [-q]   (ps ID [PS-OPTIONS]: runc's process list)",
                                         summary: "List the containers silo run -d made: running ones, with -a also exited ones.",
                                         options: [.init(["--all", "-a"], help: "Also the exited containers"),
                                                   .init(["--json"], help: "One JSON array, every field"),
                                                   .init(["--quiet", "-q"], help: "Only the ids"),
                                                   .init(["--no-trunc"], help: "Full ids and commands")],
                                         positionals: 0...0) else { return 0 }
        let store = try g.store()
        let now = Int64(time(nil))
        let all = try store.list().filter { $0.record?.isRun == true }.map {
            DetachedStatus.of($0.id, record: $0.record, store: store)
        }.filter { r.flag("--all") || $0.state != .exited }
        if r.flag("--json") {
            Output.out(JSON.array(all.map { s in
                .fields([("id", .string(s.id)), ("name", s.record?.name.map { .string($0) } ?? .null),
                         ("command", .strings(s.record?.command ?? [])), ("status", .string(s.state.rawValue)),
                         ("statusText", .string(s.text(now: now))), ("pid", s.state == .running ? s.record?.pid.map { .integer($0) } ?? .null : .null),
                         ("uptime", s.uptime(now: now).map { .integer($0) } ?? .null),
                         ("exitCode", s.exitStatus.map { .integer($0) } ?? .null), ("created", .string(s.record?.created ?? ""))])
            }).encoded(indent: "  "))
            return 0
        }
        let full = r.flag("--no-trunc")
        if r.flag("--quiet") {
            for s in all { Output.out(full ? s.id : String(s.id.prefix(12))) }
            return 0
        }
        var rows = [["CONTAINER ID", "NAME", "COMMAND", "STATUS", "UPTIME", "EXIT"]]
        for s in all {
            var command = (s.record?.command ?? []).joined(separator: " ")
            if !full && command.count > 30 { command = String(command.prefix(29)) + "…" }
            rows.append([full ? s.id : String(s.id.prefix(12)), s.record?.name ?? "", "\"\(command)\"", s.text(now: now),
                         s.uptime(now: now).map { DetachedStatus.duration($0) } ?? "", s.exitStatus.map(String.init) ?? ""])
        }
        Output.write(1, OCIStateCommands.table(rows))
        return 0
    }

    static func resolve(_ r: ArgumentParser.Result, _ g: GlobalOptions) throws(RuntimeError) -> (String, ContainerStateStore) {
        let store = try g.store()
        return (try ContainerLookup.resolve(r.positionals[0], in: store), store)
    }

    static func inspect(_ args: [String], _ g: GlobalOptions) throws(RuntimeError) -> Int32 {
        guard let r = try OCIArguments.parse(args, verb: "inspect", usage: "inspect ID", summary: "A container as JSON: pid, namespaces and their inodes, maps, mounts, limits, addresses, status.",
                                         options: [], positionals: 1...1) else { return 0 }
        let (id, store) = try resolve(r, g)
        Output.out(try ContainerInspect.json(id: id, store: store).encoded(indent: "  "))
        return 0
    }

    static func logs(_ args: [String], _ g: GlobalOptions) throws(RuntimeError) -> Int32 {
        guard let r = try OCIArguments.parse(args, verb: "logs", usage: "logs [-f] [-t] [--tail N] ID", summary: "Print a container's output (stdout and stderr as written; the log is capped, see run --log-max).",
                                         options: [.init(["--follow", "-f"], help: "Keep printing what the container writes until it exits"),
                                                   .init(["--timestamps", "-t"], help: "Each line after the time it arrived (RFC 3339, UTC, ns)"),
                                                   .init(["--tail", "-n"], value: "N", help: "Only the last N lines")],
                                         positionals: 1...1) else { return 0 }
        var tail: Int?
        if let t = r.last("--tail"), t != "all" {
            guard let n = Int(t), n >= 0 else { throw RuntimeError(.usage, "logs --tail \(t): expected a number of lines") }
            tail = n
        }
        let (id, store) = try resolve(r, g)
        let dir = store.directory(of: id)
        let end = ContainerLog.currentSize(directory: dir)
        let stamped = r.flag("--timestamps")
        let bytes = ContainerLog.read(directory: dir, tail: tail, timestamps: stamped)
        do { try FileIO.writeAll(fd: 1, bytes, object: "stdout") } catch { return 0 }
        guard r.flag("--follow") else { return 0 }
        ContainerLog.follow(directory: dir, from: end, output: 1, timestamps: stamped) {
            guard let record = try? store.load(id: id) else { return false }
            return DetachedStatus.openMonitor(record) != nil
        }
        return 0
    }

    static func stop(_ args: [String], _ g: GlobalOptions) throws(RuntimeError) -> Int32 {
        guard let r = try OCIArguments.parse(args, verb: "stop", usage: "stop [-t SECS] ID", summary: "SIGTERM to the container's command, SIGKILL after SECS seconds (default 10).",
                                         options: [.init(["--time", "-t"], value: "SECS", help: "Seconds between SIGTERM and SIGKILL")],
                                         positionals: 1...1) else { return 0 }
        var timeout: Int32 = 10
        if let t = r.last("--time") {
            guard let n = Int32(t), n >= 0 else { throw RuntimeError(.usage, "stop -t \(t): expected whole seconds") }
            timeout = n
        }
        let (id, store) = try resolve(r, g)
        try DetachedControl.stop(id: id, timeout: timeout, store: store)
        Output.out(r.positionals[0])
        return 0
    }

    static func rm(_ args: [String], _ g: GlobalOptions) throws(RuntimeError) -> Int32 {
        guard let r = try OCIArguments.parse(args, verb: "rm", usage: "rm [-f] ID...", summary: "Remove containers: state, log, cgroup; -f kills a running one first.",
                                         options: [.init(["--force", "-f"], help: "Kill it first if it runs")],
                                         positionals: 1...Int.max) else { return 0 }
        let store = try g.store()
        if r.positionals.count == 1 {
            let id = try ContainerLookup.resolve(r.positionals[0], in: store)
            for w in try DetachedControl.remove(id: id, force: r.flag("--force"), store: store) { Output.warning(w) }
            Output.out(r.positionals[0])
            return 0
        }
        var failed: RuntimeError?
        for ref in r.positionals {
            do throws(RuntimeError) {
                let id = try ContainerLookup.resolve(ref, in: store)
                for w in try DetachedControl.remove(id: id, force: r.flag("--force"), store: store) { Output.warning(w) }
                Output.out(ref)
            } catch {
                Output.error("silo: \(error.message)")
                failed = error
            }
        }
        if let failed { throw RuntimeError(failed.code, "rm: some containers were not removed") }
        return 0
    }

    static func wait(_ args: [String], _ g: GlobalOptions) throws(RuntimeError) -> Int32 {
        guard let r = try OCIArguments.parse(args, verb: "wait", usage: "wait ID", summary: "Wait for the container's command to exit and print its exit status.",
                                         options: [], positionals: 1...1) else { return 0 }
        let (id, store) = try resolve(r, g)
        Output.out(String(try DetachedControl.wait(id: id, store: store)))
        return 0
    }

    static func top(_ args: [String], _ g: GlobalOptions) throws(RuntimeError) -> Int32 {
        guard let r = try OCIArguments.parse(args, verb: "top", usage: "top ID [PS-FORMAT]", summary: "The container's processes, as ps(1) shows them (default -o pid,user,etime,args).",
                                         options: [], positionals: 1...2) else { return 0 }
        let (id, store) = try resolve(r, g)
        let pids = try ContainerLifecycle.processes(id: id, store: store)
        guard !pids.isEmpty else { throw ContainerLiveness.notRunning }
        let format = r.positionals.count > 1 ? r.positionals[1] : "pid,user,etime,args"
        let result: SpawnResult
        do { result = try Spawn.run(["ps", "-o", format, "-p", pids.map(String.init).joined(separator: ",")]) } catch { throw RuntimeError(error) }
        Output.write(1, String(decoding: result.stdout, as: UTF8.self))
        if result.status != 0 { throw RuntimeError(.runtime, "ps: " + String(decoding: result.stderr, as: UTF8.self)) }
        return 0
    }
}
