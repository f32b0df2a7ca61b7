/// `silo netns` (not implemented yet).
public enum NetnsCommand {
    public static func main(_ args: [String]) throws(RuntimeError) -> Int32 {
        throw RuntimeError(.usage, "netns: not implemented yet")
    }
}
