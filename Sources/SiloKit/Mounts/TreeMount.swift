import SiloSys

/// A host tree opened in the parent with open_tree(OPEN_TREE_CLONE) and moved into the
/// container by the child; `isFile` when the bind source is a regular file.
public struct TreeMount: Equatable, Sendable {
    public var fd: Int32
    public var target: String
    public var isFile: Bool
    public init(fd: Int32, target: String, isFile: Bool) {
        self.fd = fd
        self.target = target
        self.isFile = isFile
    }
}
