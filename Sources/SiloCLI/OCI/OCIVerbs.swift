import SiloKit
import SiloSys

/// The runc-compatible verbs over an existing container or about silo itself. Every error is
/// exit status 1, as runc's (engines only look at zero/non-zero and match the message).
public enum OCIVerbs {
    public static let names: Set<String> = [
        "state", "kill", "delete", "list", "ps", "pause", "resume", "update", "features", "spec",
        "checkpoint", "restore", "events",
    ]

    /// The status of every OCI verb's failure.
    public static let failureStatus: Int32 = 1

    static func run(_ verb: String, _ args: [String], _ globals: GlobalOptions) throws(CommandFailure) -> Int32 {
        do throws(RuntimeError) {
            switch verb {
            case "state": return try OCIStateCommands.state(args, globals)
            case "list": return try OCIStateCommands.list(args, globals)
            case "ps": return try OCIStateCommands.ps(args, globals)
            case "kill": return try OCIControlCommands.kill(args, globals)
            case "delete": return try OCIControlCommands.delete(args, globals)
            case "pause", "resume": return try OCIControlCommands.pauseResume(verb, args, globals)
            case "update": return try OCIControlCommands.update(args, globals)
            case "features": return try OCIInfoCommands.features(args)
            case "spec": return try OCIInfoCommands.spec(args)
            default: return try OCIInfoCommands.refuse(verb, args)
            }
        } catch {
            throw CommandFailure(failureStatus, error.message)
        }
    }
}
