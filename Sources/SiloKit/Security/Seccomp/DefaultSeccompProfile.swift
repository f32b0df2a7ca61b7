import SiloSys

/// silo's default seccomp profile: Docker's default allow-list (moby/profiles seccomp v0.2.3,
/// the calls any program needs), written out as silo's own data, with these differences:
/// - the default action is ENOSYS, and every other syscall of the 6.18 table gets EPERM: a call
///   newer than this profile looks unimplemented, so glibc and friends fall back (clone3 → clone);
/// - argument filters compare only the low 32 bits where the kernel reads an int (socket family,
///   ioctl request, personality), so high bits set by the caller cannot slip past them;
/// - TIOCSTI and TIOCLINUX ioctls are refused (keystroke injection into a terminal);
/// - it does not widen with --cap-add: capabilities and seccomp are separate layers, each
///   loosened on purpose (`--seccomp unconfined` or a profile), see docs/security.md;
/// - no i386 or x32 syscalls (see `architectures`).
public enum DefaultSeccompProfile {
    static let eperm = UInt16(Errno.notPermitted)
    static let enosys = UInt16(Errno.notImplemented)

    /// Namespace flags of clone(2) and unshare(2): CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC,
    /// NEWUSER, NEWPID, NEWNET (Docker's mask 0x7E020000), and CLONE_NEWTIME for unshare.
    public static let cloneNamespaceFlags: UInt64 = 0x7E02_0000
    public static let unshareNamespaceFlags: UInt64 = 0x7E02_0080

    /// ioctl requests refused: TIOCSTI pushes bytes into a terminal's input, TIOCLINUX can do
    /// the same on a virtual console.
    public static let refusedIoctls: [UInt32] = [0x5412, 0x541C]
    /// Socket families refused as Docker does: AF_ALG (38, kernel crypto) and AF_VSOCK (40,
    /// host/guest sockets).
    public static let refusedSocketFamilies: [UInt32] = [38, 40]
    /// personality(2) values allowed: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and
    /// 0xffffffff (query).
    public static let allowedPersonalities: [UInt32] = [0x0, 0x8, 0x20000, 0x20008, 0xffff_ffff]

    /// Allowed without conditions.
    public static let allowed: [String] = [
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset",
        "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
        "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64",
        "close", "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create",
        "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
        "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
        "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
        "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr",
        "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
        "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64",
        "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64",
        "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
        "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
        "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage",
        "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid",
        "getuid32", "getxattr", "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1",
        "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents",
        "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc", "kill",
        "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32",
        "lgetxattr", "link", "linkat", "listen", "listmount", "listxattr", "listxattrat", "llistxattr",
        "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack",
        "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
        "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
        "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
        "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
        "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause",
        "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
        "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
        "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
        "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
        "removexattr", "removexattrat", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
        "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
        "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
        "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
        "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
        "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
        "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
        "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32",
        "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
        "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
        "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "setxattrat",
        "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask",
        "sigreturn", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statmount",
        "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill",
        "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
        "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
        "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit",
        "umask", "uname", "unlink", "unlinkat", "uretprobe", "utime", "utimensat", "utimensat_time64", "utimes",
        "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
        // Docker allows these from kernel 4.8 on, where ptrace can no longer bypass seccomp.
        "ptrace", "process_vm_readv", "process_vm_writev",
        // x86 only.
        "arch_prctl", "modify_ldt",
        // Docker allows it when CAP_SYS_CHROOT is in the set, as it is by default. The kernel
        // checks that capability itself, so an unconditional rule gives the same answers:
        // allowed with it, EPERM after `--cap-drop SYS_CHROOT`.
        "chroot",
    ]

    /// Known syscalls that are ruled on separately (argument filters or a special errno), so
    /// they are left out of the EPERM list.
    static let conditional: Set<String> = ["clone", "clone3", "unshare", "socket", "ioctl", "personality"]

    /// x86_64 alone. Unlike Docker, neither i386 nor x32. i386's socketcall(2) carries the
    /// socket family in memory where no filter can read it (libseccomp even turns each socket
    /// rule into an unconditional socketcall rule there), so a filter on socket families cannot
    /// hold; the compat entry points are a large surface few containers need; and each listed
    /// architecture grows the filter the kernel must check and JIT at every start (~0.2 µs per
    /// instruction). Their syscalls kill the process (SIGSYS); a profile that lists
    /// SCMP_ARCH_X86 or SCMP_ARCH_X32 brings them back. Elsewhere: the native architecture.
    public static var architectures: [String] {
        let native = Seccomp.nativeArchitecture
        return native == "x86_64" ? ["x86_64"] : [native]
    }

    public static func profile() -> SeccompProfile {
        var rules: [SeccompRule] = []
        for name in allowed { rules.append(SeccompRule(name, .allow)) }

        // A call filtered on an argument gets its exceptions as equality tests and everything
        // else as one "argument >= 0" rule (always true) with the other verdict. libseccomp
        // evaluates the equality tests of an argument before its range tests (db.c orders
        // EQ/MASKED_EQ/NE before LT/LE before GT/GE "to make the ordering repeatable"), so the
        // exceptions win. An unconditional rule would not do: libseccomp drops every
        // conditional rule of a call that also has one. The unit tests run the compiled BPF to
        // hold this to account.
        func filtered(_ name: String, argument: UInt32, exceptions: [SeccompCondition], exceptionAction: SeccompAction,
                      otherwise: SeccompAction) {
            for c in exceptions { rules.append(SeccompRule(name, exceptionAction, [c])) }
            rules.append(SeccompRule(name, otherwise, [SeccompProfile.always(argument: argument)]))
        }
        filtered("clone", argument: 0, exceptions: [SeccompCondition(index: 0, op: .maskedEqual, value: cloneNamespaceFlags, valueTwo: 0)],
                 exceptionAction: .allow, otherwise: .errno(eperm))
        filtered("unshare", argument: 0, exceptions: [SeccompCondition(index: 0, op: .maskedEqual, value: unshareNamespaceFlags, valueTwo: 0)],
                 exceptionAction: .allow, otherwise: .errno(eperm))
        filtered("ioctl", argument: 1, exceptions: SeccompProfile.low32(argument: 1, in: refusedIoctls),
                 exceptionAction: .errno(eperm), otherwise: .allow)
        filtered("socket", argument: 0, exceptions: SeccompProfile.low32(argument: 0, in: refusedSocketFamilies),
                 exceptionAction: .errno(eperm), otherwise: .allow)
        filtered("personality", argument: 0, exceptions: SeccompProfile.low32(argument: 0, in: allowedPersonalities),
                 exceptionAction: .allow, otherwise: .errno(eperm))
        rules.append(SeccompRule("clone3", .errno(enosys)))
        // What is neither allowed nor ruled above is refused, keyctl, add_key, request_key,
        // mount, bpf, kexec_load and the rest of the table included.
        let ruled = Set(allowed).union(conditional)
        for name in LinuxSyscallNames.x86_64 where !ruled.contains(name) {
            rules.append(SeccompRule(name, .errno(eperm)))
        }
        // The calls libseccomp cannot name yet stay out: they meet the default action, ENOSYS.
        rules.removeAll { Seccomp.syscallNumber($0.syscall) == nil }
        return SeccompProfile(defaultAction: .errno(enosys), architectures: architectures, rules: rules)
    }

    /// The compiled profile. Compiling takes libseccomp ~12 ms, longer than the rest of a
    /// container start, so the BPF built from `profile()` ships in the binary
    /// (DefaultSeccompBPF.swift, checked against a fresh compile by the unit tests) and is
    /// used whenever this machine's libseccomp and architecture are the ones it was built with.
    public static func bpf() throws(RuntimeError) -> [UInt8] {
        if Seccomp.libraryVersion == DefaultSeccompBPF.libseccompVersion,
           Seccomp.nativeArchitecture == DefaultSeccompBPF.architecture,
           let bytes = decodeHex(DefaultSeccompBPF.hex) {
            return bytes
        }
        return try profile().compile(source: "(default)")
    }

    /// The shipped filter's hex back to struct sock_filter bytes; nil if it is malformed.
    static func decodeHex(_ hex: StaticString) -> [UInt8]? {
        hex.withUTF8Buffer { text -> [UInt8]? in
            var out: [UInt8] = []
            out.reserveCapacity(text.count / 2)
            var high: UInt8?
            for c in text {
                let v: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: " "), UInt8(ascii: "\n"): continue
                default: return nil
                }
                if let h = high {
                    out.append(h << 4 | v)
                    high = nil
                } else {
                    high = v
                }
            }
            return high == nil && !out.isEmpty && out.count % 8 == 0 ? out : nil
        }
    }
}
