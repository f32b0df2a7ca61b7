/// What `resolveInRoot` makes of a missing path: nothing, directories, or directories and a
/// final empty regular file.
public enum Creation: Sendable, Equatable {
    case none
    case directory(mode: UInt32)
    case file
}
