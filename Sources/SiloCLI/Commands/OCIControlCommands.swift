#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSpec
import SiloSys

/// `kill`, `delete`, `pause`, `resume` and `update`: the verbs that change a container.
enum OCIControlCommands {
    static func kill(_ args: [String], _ g: GlobalOptions) throws(RuntimeError) -> Int32 {
        guard let r = try OCIArguments.parse(args, verb: "kill", usage: "kill [--all] ID [SIGNAL]",
                                         summary: "Send a signal (default SIGTERM; a number, or a name with or without SIG) to the container's init, or with --all to every process of the container.",
                                         options: [.init(["--all", "-a"], help: "Signal every process of the container")],
                                         positionals: 1...2) else { return 0 }
        let signal = r.positionals.count > 1 ? try SignalName.parse(r.positionals[1]) : SIGTERM
        let store = try g.store()
        // An engine's exact id is taken as is; a name or id prefix finds only silo run -d's containers.
        let id = try ContainerLookup.resolve(r.positionals[0], in: store)
        try ContainerLifecycle.kill(id: id, signal: signal, all: r.flag("--all"), store: store)
        return 0
    }

    static func delete(_ args: [String], _ g: GlobalOptions) throws(RuntimeError) -> Int32 {
        guard let r = try OCIArguments.parse(args, verb: "delete", usage: "delete [--force] ID",
                                         summary: "Remove a stopped or created container; --force kills a running one first and succeeds for an unknown ID.",
                                         options: [.init(["--force", "-f"], help: "Kill it first if it runs; no error if it does not exist")],
                                         positionals: 1...1) else { return 0 }
        let id = r.positionals[0]
        let force = r.flag("--force")
        // Opening the root would create it: a delete --force of anything under a root that does
        // not exist has nothing to do.
        if force, let root = g.root, !FileIO.exists(root) {
            try ContainerStateStore.validate(id: id)
            return 0
        }
        for w in try ContainerLifecycle.delete(id: id, force: force, store: try g.store()) { RuntimeLog.warn(w, g) }
        return 0
    }

    static func pauseResume(_ verb: String, _ args: [String], _ g: GlobalOptions) throws(RuntimeError) -> Int32 {
        let summary = verb == "pause" ? "Freeze every process of the container (cgroup freezer)." : "Thaw a paused container."
        guard let r = try OCIArguments.parse(args, verb: verb, usage: "\(verb) ID", summary: summary, options: [],
                                         positionals: 1...1) else { return 0 }
        let store = try g.store()
        // As kill: an engine's exact id as is, a name or unique prefix of a silo run -d container.
        let id = try ContainerLookup.resolve(r.positionals[0], in: store)
        if verb == "pause" { try ContainerLifecycle.pause(id: id, store: store) } else {
            try ContainerLifecycle.resume(id: id, store: store)
        }
        return 0
    }

    static func update(_ args: [String], _ g: GlobalOptions) throws(RuntimeError) -> Int32 {
        guard let r = try OCIArguments.parse(args, verb: "update", usage: "update --resources FILE|- ID",
                                         summary: "Apply OCI linux.resources (JSON, from FILE or stdin) to a live container's cgroup.",
                                         options: [.init(["--resources", "-r"], value: "FILE", help: "The resources JSON, - for stdin")],
                                         positionals: 1...1) else { return 0 }
        guard let file = r.last("--resources") else {
            throw RuntimeError(.usage, "update: --resources FILE is required (silo takes no per-limit flags; see docs/oci.md)")
        }
        let bytes: [UInt8]
        do {
            if file == "-" { bytes = try FileIO.readAll(fd: 0, limit: 16 << 20, object: "stdin") } else {
                bytes = Array(try FileIO.read(file, limit: 16 << 20).utf8)
            }
        } catch { throw RuntimeError(error) }
        let resources: OCISpec.Resources
        do { resources = try OCISpec.Resources.parse(bytes, file: file == "-" ? "resources" : file) } catch {
            throw RuntimeError(.usage, error.description)
        }
        try ContainerLifecycle.update(id: r.positionals[0], resources: resources, store: try g.store())
        return 0
    }
}
