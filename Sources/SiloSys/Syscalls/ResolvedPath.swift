/// An O_PATH fd of a resolved path, and what it is.
public struct ResolvedPath: Sendable, Equatable {
    public var fd: Int32
    public var kind: FileKind
    public init(fd: Int32, kind: FileKind) {
        self.fd = fd
        self.kind = kind
    }
}
