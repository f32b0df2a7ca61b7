#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// Time: the offsets silo set, and CLOCK_MONOTONIC and CLOCK_BOOTTIME on each side.
enum DemoTime {
    static func about(_ l: DemoLanguage) -> DemoSection.About {
        DemoSection.About(
            kind: .time, title: l.t("Time namespace: the boot and monotonic clocks", "时间命名空间：开机时钟和单调时钟"), cloneFlag: "CLONE_NEWTIME", since: "5.6 (2020)",
            text: l.t("The time namespace gives CLOCK_MONOTONIC and CLOCK_BOOTTIME offsets of their own, so that a container moved to another machine keeps clocks that never jump back; the wall clock stays shared. clone() cannot ask for it (0x80 is part of the exit signal there; clone3() accepts it since Linux 6.3), and unshare(CLONE_NEWTIME) does not move the caller: it makes the namespace of the caller's future children (/proc/PID/ns/time_for_children), whose offsets can still be written. silo calls it just before execve, and since Linux 6.1 execve moves the process into time_for_children, so the command runs in it.",
                      "时间命名空间让 CLOCK_MONOTONIC 和 CLOCK_BOOTTIME 有自己的偏移量，这样容器迁到另一台机器上，时钟也不会往回跳；墙上时间仍是共用的。clone() 要不了它（那里 0x80 是退出信号的一部分；clone3() 从 Linux 6.3 起可以），unshare(CLONE_NEWTIME) 也不会把调用者移进去：它建的是调用者今后子进程的命名空间（/proc/PID/ns/time_for_children），偏移量这时还能写。silo 在 execve 前一刻调用它；从 Linux 6.1 起，execve 会把进程移进 time_for_children，所以命令就跑在新命名空间里。"))
    }

    /// The clocks inside the time namespace of `pid`: a child of the demo joins it with setns
    /// (a time namespace applies to the caller at once) and reads them with clock_gettime.
    static func clocks(in pid: pid_t) -> (monotonic: Int64, boottime: Int64)? {
        let bytes = DemoProbe.run {
            let fd = open("/proc/\(pid)/ns/time", O_RDONLY | O_CLOEXEC)
            guard fd >= 0, (try? NamespaceFile.enter(fd, .time, name: "time")) != nil else { return [] }
            let now = DemoClock.now()
            var out: [UInt8] = []
            out.appendLE(UInt64(bitPattern: now.monotonic))
            out.appendLE(UInt64(bitPattern: now.boottime))
            return out
        }
        guard let bytes, bytes.count == 16 else { return nil }
        return (Int64(bitPattern: bytes.loadLE(UInt64.self, at: 0)), Int64(bitPattern: bytes.loadLE(UInt64.self, at: 8)))
    }

    static func offsets(_ lines: [String]?) -> [String]? {
        lines.map { $0.map { $0.split(separator: " ").joined(separator: " ") } }
    }

    static func run(_ ctx: DemoContext) -> DemoSection {
        let l = ctx.lang
        var s = DemoSection(about(l), shared: ctx.shared.contains(.time), lang: l)
        var script = DemoScript()
        script.block("ns", "readlink /proc/self/ns/time")
        script.block("offsets", "cat /proc/self/timens_offsets")
        script.block("uptime", "cat /proc/uptime")
        script.block("for_children", "readlink /proc/self/ns/time_for_children")
        script.waitForHost()

        var host = (monotonic: Int64(0), boottime: Int64(0))
        var inside: (monotonic: Int64, boottime: Int64)?
        var hostUptime: String?
        var fromHost: (time: String?, forChildren: String?) = (nil, nil)
        guard let r = ctx.run(&s, script, configure: { $0.timeOffset = (ctx.timeOffset, ctx.timeOffset) }, whileRunning: { pid, _ in
            host = DemoClock.now()
            inside = clocks(in: pid)
            fromHost = (ProcFS.namespace("time", of: "\(pid)"), ProcFS.namespace("time_for_children", of: "\(pid)"))
            hostUptime = try? FileIO.read("/proc/uptime").split(separator: "\n").first.map(String.init)
        }) else { return s }
        let b = r.blocks
        let want = ctx.timeOffset
        s.identityRows(r)
        func clock(_ ns: Int64) -> DemoValue { .number(ns, shown: DemoFormat.seconds(ns)) }
        s.row("offsets", "timens_offsets", host: offsets((try? FileIO.read("/proc/self/timens_offsets")).map { $0.split(separator: "\n").map(String.init) }), container: offsets(b["offsets"]))
        s.row("time_for_children", "time_for_children", host: fromHost.forChildren.map { "PID \(r.pid): \($0)" }, container: b.first("for_children"))
        s.row("monotonic_ns", "CLOCK_MONOTONIC", host: clock(host.monotonic), container: inside.map { clock($0.monotonic) })
        s.row("boottime_ns", "CLOCK_BOOTTIME", host: clock(host.boottime), container: inside.map { clock($0.boottime) })
        s.row("uptime", "/proc/uptime", host: hostUptime, container: b.first("uptime"))
        s.notes.append((s.shared ? l.t("With --share time silo leaves the time namespace alone: the offset of \(want) s is not applied.", "用了 --share time，silo 就不碰时间命名空间：\(want) 秒的偏移没有生效。")
            : l.t("silo set an offset of \(want) s (--time-offset).", "silo 设了 \(want) 秒的偏移（--time-offset）。"))
            + l.t(" The container's clocks were read by a child of silo that joined its time namespace with setns(2), which, unlike unshare, moves the caller at once; /proc/uptime on the right is busybox's reading from inside.",
                  "容器的时钟是由 silo 的一个子进程读的：它用 setns(2) 加入了容器的时间命名空间（setns 和 unshare 不同，调用者当场就进去了）；右边的 /proc/uptime 是 busybox 在里面读到的。"))
        if let t = fromHost.time, let c = fromHost.forChildren {
            s.notes.append(t == c ? l.t("Seen from the host, the container's shell is in the namespace it unshared: its time and time_for_children are the same (\(t)).", "从主机看，容器的 shell 就在它 unshare 出来的命名空间里：time 和 time_for_children 相同（\(t)）。")
                : l.t("Seen from the host, the container's shell is in \(t) and its children would go to \(c): this kernel's execve did not move it (before Linux 6.1).", "从主机看，容器的 shell 在 \(t) 里，而它的子进程会进 \(c)：这个内核的 execve 没有把它移过去（Linux 6.1 之前如此）。"))
        }

        let evidence: DemoSection.Evidence
        // Half the offset at most, so that a small --time-offset still tells shifted from shared.
        let tolerance: Int64 = min(5_000_000_000, abs(want) * 500_000_000)
        let direction = want >= 0 ? l.t("\(want) s ahead", "快 \(want) 秒") : l.t("\(-want) s behind", "慢 \(-want) 秒")
        if let inside {
            let dm = inside.monotonic - host.monotonic, db = inside.boottime - host.boottime
            let wantNs = want * 1_000_000_000
            if abs(dm - wantNs) < tolerance && abs(db - wantNs) < tolerance {
                evidence = .isolated(l.t("both clocks run \(direction) inside, as silo set them, while the host's are unchanged", "里面两个时钟都\(direction)，正是 silo 设的，主机的不变"))
                s.why = l.t("The kernel adds the namespace's offsets to CLOCK_MONOTONIC and CLOCK_BOOTTIME for every process in it; they can be written only while no process is inside.",
                            "内核给时间命名空间里的每个进程的 CLOCK_MONOTONIC 和 CLOCK_BOOTTIME 加上该命名空间的偏移；偏移只能在还没有进程进去时写。")
            } else if abs(dm) < tolerance && abs(db) < tolerance {
                evidence = .shared(l.t("the container reads the host's clocks (no offset)", "容器读到的是主机的时钟（没有偏移）"))
                s.why = l.t("In the host's time namespace the offsets are zero: the container reads exactly the host's clocks.",
                            "在主机的时间命名空间里偏移是零：容器读到的就是主机的时钟。")
            } else {
                evidence = .failed(l.t("offsets of \(DemoFormat.fixed(Double(dm) / 1e9, 1)) s and \(DemoFormat.fixed(Double(db) / 1e9, 1)) s inside, \(want) s asked for",
                                       "里面的偏移是 \(DemoFormat.fixed(Double(dm) / 1e9, 1)) 秒和 \(DemoFormat.fixed(Double(db) / 1e9, 1)) 秒，要的是 \(want) 秒"))
            }
        } else {
            evidence = .failed(l.t("cannot join the container's time namespace to read its clocks", "加入不了容器的时间命名空间，读不到它的时钟"))
        }
        s.decide(hostNamespace: ProcFS.namespace("time"), containerNamespace: b.first("ns"), evidence)
        return s
    }
}
