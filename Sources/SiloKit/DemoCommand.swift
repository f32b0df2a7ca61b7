/// `silo demo` (not implemented yet).
public enum DemoCommand {
    public static func main(_ args: [String]) throws(RuntimeError) -> Int32 {
        throw RuntimeError(.usage, "demo: not implemented yet")
    }
}
