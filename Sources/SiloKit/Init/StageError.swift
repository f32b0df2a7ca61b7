import SiloSys

/// A failure in the child: which stage, and the syscall that failed.
public struct StageError: Error, Equatable, Sendable {
    public var stage: InitStage
    public var error: SyscallError
    public init(_ stage: InitStage, _ error: SyscallError) {
        self.stage = stage
        self.error = error
    }
}
