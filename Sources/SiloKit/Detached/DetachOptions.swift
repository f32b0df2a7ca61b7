/// How `silo run -d` keeps its container (RunConfig.detach; docs/containers.md).
public struct DetachOptions: Equatable, Sendable {
    public var name: String?
    /// `--rm`: the monitor removes the state once the container has exited.
    public var removeOnExit = false
    public var logLimit = ContainerLog.defaultLimit

    public init(name: String? = nil, removeOnExit: Bool = false, logLimit: Int = ContainerLog.defaultLimit) {
        self.name = name
        self.removeOnExit = removeOnExit
        self.logLimit = logLimit
    }
}
