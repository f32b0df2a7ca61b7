/// `silo ns` (not implemented yet).
public enum NsCommand {
    public static func main(_ args: [String]) throws(RuntimeError) -> Int32 {
        throw RuntimeError(.usage, "ns: not implemented yet")
    }
}
