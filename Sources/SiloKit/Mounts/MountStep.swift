import SiloSys

public struct MountStep: Equatable, Sendable {
    public let stage: InitStage
    public let op: MountOp
    public init(_ stage: InitStage, _ op: MountOp) {
        self.stage = stage
        self.op = op
    }
}
