public enum FileKind: Sendable, Equatable {
    case directory, regular, symlink, other
}
