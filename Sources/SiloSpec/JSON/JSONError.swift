/// Where and why a document is not JSON: "line 3, column 7: expected ',' or '}'".
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var reason: String
    public var description: String { "line \(line), column \(column): \(reason)" }
}
