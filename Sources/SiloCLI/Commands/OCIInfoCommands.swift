#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSpec
import SiloSys

/// `features`, `spec`, and the verbs silo refuses (checkpoint, restore, events).
enum OCIInfoCommands {
    static func features(_ args: [String]) throws(RuntimeError) -> Int32 {
        guard try OCIArguments.parse(args, verb: "features", usage: "features", summary: "Print what silo supports as OCI features JSON.",
                                 options: [], positionals: 0...0) != nil else { return 0 }
        Output.out(OCIFeatures.silo.json.encoded(indent: "    "))
        return 0
    }

    /// runc's `spec`: writes BUNDLE/config.json (the current directory by default) and refuses
    /// to overwrite one.
    static func spec(_ args: [String]) throws(RuntimeError) -> Int32 {
        guard let r = try OCIArguments.parse(args, verb: "spec", usage: "spec [--rootless] [--bundle DIR]",
                                         summary: "Write a default config.json into the bundle directory (the current directory by default).",
                                         options: [.init(["--rootless"], help: "For an unprivileged user: a user namespace mapping root to you, no network namespace"),
                                                   .init(["--bundle", "-b"], value: "DIR", help: "Where to write config.json")],
                                         positionals: 0...0) else { return 0 }
        let path = (r.last("--bundle").map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? "") + "config.json"
        if FileIO.exists(path) { throw RuntimeError(.usage, "File \(path) exists. Remove it first") }
        let spec = OCISpec.defaultConfig(rootless: r.flag("--rootless"), hostUID: geteuid(), hostGID: getegid())
        do {
            try FileIO.write(path, spec.json.encoded(indent: "\t") + "\n",
                             flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: 0o666)
        } catch {
            if error.errno == EEXIST { throw RuntimeError(.usage, "File \(path) exists. Remove it first") }
            throw RuntimeError(error)
        }
        return 0
    }

    static func refuse(_ verb: String, _ args: [String]) throws(RuntimeError) -> Int32 {
        if args.contains("--help") || args.contains("-h") {
            Output.out("Usage: silo \(verb)\n\nNot supported by silo (see docs/oci.md).")
            return 0
        }
        switch verb {
        case "checkpoint", "restore": throw RuntimeError(.runtime, "\(verb): not supported (criu)")
        default: throw RuntimeError(.runtime, "\(verb): not supported (use `silo state` and `silo ps`; silo keeps no event stream)")
        }
    }
}
