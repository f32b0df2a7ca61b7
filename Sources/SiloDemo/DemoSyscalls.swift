import SiloKit
import SiloSys

/// The namespace system calls `silo run` makes for a configuration (Launch/Preparation.swift,
/// Init/ContainerInit.swift), as `--step` shows them before a section's container starts.
enum DemoSyscalls {
    static func made(for config: RunConfig, lang: DemoLanguage) -> [String] {
        let shared = Set(config.share)
        let order: [(NamespaceKind, String)] = [(.user, "CLONE_NEWUSER"), (.mnt, "CLONE_NEWNS"), (.pid, "CLONE_NEWPID"),
                                                (.uts, "CLONE_NEWUTS"), (.ipc, "CLONE_NEWIPC"), (.net, "CLONE_NEWNET")]
        let flags = order.filter { !shared.contains($0.0) }.map(\.1)
        var out = ["clone(" + flags.joined(separator: "|") + lang.t(")  the launcher makes the container's first process",
                                                                       ")  启动器创建容器的第一个进程")]
        if !shared.contains(.cgroup) {
            out.append(lang.t("unshare(CLONE_NEWCGROUP)  in that process, once it is in its own cgroup (or CLONE_NEWCGROUP in clone() when silo made no cgroup)",
                              "unshare(CLONE_NEWCGROUP)  由这个进程自己调用，在它进入自己的 cgroup 之后（silo 没建 cgroup 时则放进 clone() 的标志里）"))
        }
        if HostIdentity.hasTimeNamespaces && !shared.contains(.time) {
            out.append(lang.t("unshare(CLONE_NEWTIME)  just before execve: it sets time_for_children, and execve moves the process into it (Linux 6.1 and later)",
                              "unshare(CLONE_NEWTIME)  紧挨着 execve 之前：它只设定 time_for_children，execve 才把进程移进去（Linux 6.1 起）"))
        }
        return out
    }
}
