// silo-probe: tries, from inside a container, what a container must not be able to do, and
// prints one line per check: `NAME ok` (it worked), `NAME ERRNO` (refused, e.g. EPERM), or for
// reads `NAME empty` / `NAME data`. Checks named control_* are ordinary calls that must work.
// Static, so it runs in a busybox rootfs.
//
// Every check runs in a forked child, so a check that changes the process (unshare, setns,
// setsid) cannot change the next one, and nothing here is aimed at a real terminal: the
// TIOCSTI checks use a pty the probe opens itself. Calls that would change the machine if they
// ever succeeded are made so that they cannot: reboot with a wrong magic number, the clock set
// to the time it already has, nothing written to /proc files that open for writing, a block
// device node removed again.
//
//   silo-probe [DEVICE...]      DEVICE: host disk names to try under /dev (default vda sda nvme0n1 xvda)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define RESULT_EMPTY 200
#define RESULT_DATA 201

// The errno of a failed call (0 for success) as the child's exit status.
static int result(long r) { return r < 0 ? errno : 0; }

static const char *errno_name(int e) {
    switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EINVAL: return "EINVAL";
    case ENOTTY: return "ENOTTY";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case ENOSYS: return "ENOSYS";
    case ENOKEY: return "ENOKEY";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ESTALE: return "ESTALE";
    case EDQUOT: return "EDQUOT";
    default: return NULL;
    }
}

static int read_file(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) return errno;
    return n == 0 ? RESULT_EMPTY : RESULT_DATA;
}

// Opens for writing and closes again without writing a byte.
static int open_for_write(const char *path) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    close(fd);
    return 0;
}

static int open_read(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return errno;
    close(fd);
    return 0;
}

static int do_kcore(void) { return read_file("/proc/kcore"); }
static int do_keys(void) { return read_file("/proc/keys"); }

static int do_mount(void) {
    if (mount("tmpfs", "/mnt", "tmpfs", 0, "size=64k") != 0) return errno;
    umount2("/mnt", MNT_DETACH);
    return 0;
}

// Tries to take the mask off /proc/keys (the read checks ran before this one).
static int do_umount2(void) { return result(umount2("/proc/keys", MNT_DETACH)); }

// A put_old that does not exist: an allowed call fails with ENOENT or EINVAL instead of pivoting.
static int do_pivot_root(void) { return result(syscall(SYS_pivot_root, "/tmp", "/tmp/.silo-probe-no-such-dir")); }

static int do_swapon(void) { return result(swapon("/tmp/.silo-probe-no-such-swap", 0)); }

// A wrong second magic number: an allowed call fails with EINVAL.
static int do_reboot(void) {
    return result(syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, 0x12345678, LINUX_REBOOT_CMD_CAD_OFF, NULL));
}

static int do_kexec_load(void) { return result(syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL)); }
static int do_init_module(void) { return result(syscall(SYS_init_module, NULL, 0UL, "")); }
static int do_delete_module(void) { return result(syscall(SYS_delete_module, "silo_probe_no_such_module", O_NONBLOCK)); }

static int do_bpf(void) {
    struct bpf_insn prog[] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT},
    };
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    attr.insn_cnt = 2;
    attr.insns = (uint64_t)(uintptr_t)prog;
    attr.license = (uint64_t)(uintptr_t)"GPL";
    long fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
    if (fd >= 0) close((int)fd);
    return result(fd);
}

// Counting in the kernel too (exclude_kernel = 0): what perf_event_paranoid >= 2 keeps from
// the unprivileged.
static int do_perf_event_open(void) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.disabled = 1;
    long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0UL);
    if (fd >= 0) close((int)fd);
    return result(fd);
}

// The "shocker" call: open a file by a forged handle.
static int do_open_by_handle_at(void) {
    int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return errno;
    struct {
        unsigned int handle_bytes;
        int handle_type;
        unsigned char f_handle[8];
    } h = {8, 1, {2, 0, 0, 0, 0, 0, 0, 0}};
    long fd = syscall(SYS_open_by_handle_at, root, &h, O_RDONLY);
    if (fd >= 0) close((int)fd);
    return result(fd);
}

static int do_userfaultfd(void) {
    long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
    if (fd >= 0) close((int)fd);
    return result(fd);
}

static int do_keyctl(void) { return result(syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "silo-probe")); }
static int do_add_key(void) { return result(syscall(SYS_add_key, "user", "silo-probe", "x", 1UL, KEY_SPEC_PROCESS_KEYRING)); }
static int do_request_key(void) { return result(syscall(SYS_request_key, "user", "silo-probe-none", NULL, 0L)); }

static int do_unshare_user(void) { return result(syscall(SYS_unshare, CLONE_NEWUSER)); }

static int do_clone_newuser(void) {
    long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0UL);
    if (pid == 0) _exit(0);
    if (pid < 0) return errno;
    waitpid((pid_t)pid, NULL, 0);
    return 0;
}

static int do_clone3(void) { return result(syscall(SYS_clone3, NULL, 0UL)); }

static int do_setns(void) {
    int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    return result(syscall(SYS_setns, fd, CLONE_NEWNET));
}

// The time it already is: an allowed call changes nothing that matters.
static int do_clock_settime(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return result(syscall(SYS_clock_settime, CLOCK_REALTIME, &ts));
}

static int do_settimeofday(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return result(syscall(SYS_settimeofday, &tv, NULL));
}

static int do_acct(void) {
    long r = syscall(SYS_acct, "/tmp/.silo-probe-acct");
    if (r == 0) syscall(SYS_acct, NULL);
    return result(r);
}

static int do_mknod_block(void) {
    const char *p = "/tmp/.silo-probe-blk";
    if (mknod(p, S_IFBLK | 0600, makedev(8, 0)) != 0) return errno;
    unlink(p);
    return 0;
}

static int do_dev_mem(void) { return open_read("/dev/mem"); }
static int do_dev_kmsg(void) { return open_read("/dev/kmsg"); }
static int do_sysrq_trigger(void) { return open_for_write("/proc/sysrq-trigger"); }
static int do_proc_sys_kernel(void) { return open_for_write("/proc/sys/kernel/core_pattern"); }

// A pty of our own, made the controlling terminal of a new session: the one case where
// TIOCSTI works without privileges, so only seccomp can refuse it.
static int own_pty(void) {
    if (setsid() < 0) return -1;
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return -1;
    const char *name = ptsname(master);
    if (!name) return -1;
    int slave = open(name, O_RDWR | O_CLOEXEC);
    if (slave < 0) return -1;
    ioctl(slave, TIOCSCTTY, 0);
    return slave;
}

static int do_tiocsti(void) {
    int t = own_pty();
    if (t < 0) return errno;
    char c = '#';
    return result(ioctl(t, TIOCSTI, &c));
}

// The same request with a bit above the low 32 set: the kernel ignores it, so must the filter.
static int do_tiocsti_high(void) {
    int t = own_pty();
    if (t < 0) return errno;
    char c = '#';
    return result(syscall(SYS_ioctl, t, (unsigned long)TIOCSTI | (1UL << 32), &c));
}

static int do_tioclinux(void) {
    int t = own_pty();
    if (t < 0) return errno;
    char sub = 6;  // TIOCL_GETSHIFTSTATE
    return result(ioctl(t, TIOCLINUX, &sub));
}

static int do_socket_family(unsigned long family) {
    long fd = syscall(SYS_socket, family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) close((int)fd);
    return result(fd);
}
static int do_vsock(void) { return do_socket_family(40); }
static int do_vsock_high(void) { return do_socket_family((1UL << 32) | 40); }

// READ_IMPLIES_EXEC: makes every readable mapping executable.
static int do_personality(void) { return result(syscall(SYS_personality, 0x0400000UL)); }

// A syscall of 6.18 that the profile cannot name: it must look unimplemented (ENOSYS).
static int do_new_syscall(void) { return result(syscall(457 /* statmount */, NULL, NULL, 0UL, 0UL)); }

// Controls: ordinary calls next to the refused ones that must keep working, so that the
// argument filters are shown to be precise rather than blanket refusals.
static int do_control_tcgets(void) {
    int t = own_pty();
    if (t < 0) return errno;
    struct termios tio;
    return result(ioctl(t, TCGETS, &tio));
}
static int do_control_socket_inet(void) { return do_socket_family(AF_INET); }
static int do_control_socket_inet_high(void) { return do_socket_family((1UL << 32) | AF_INET); }
static int do_control_unshare_fs(void) { return result(syscall(SYS_unshare, CLONE_FS | CLONE_FILES)); }
static int do_control_fork(void) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid < 0) return errno;
    waitpid(pid, NULL, 0);
    return 0;
}
static int do_control_personality_query(void) { return result(syscall(SYS_personality, 0xffffffffUL)); }

static const struct check {
    const char *name;
    int (*run)(void);
} checks[] = {
    // Reads first: a later check (umount2) may take a mask off when every layer is down.
    {"kcore", do_kcore},
    {"keys", do_keys},
    {"mount", do_mount},
    {"umount2", do_umount2},
    {"pivot_root", do_pivot_root},
    {"swapon", do_swapon},
    {"reboot", do_reboot},
    {"kexec_load", do_kexec_load},
    {"init_module", do_init_module},
    {"delete_module", do_delete_module},
    {"bpf", do_bpf},
    {"perf_event_open", do_perf_event_open},
    {"open_by_handle_at", do_open_by_handle_at},
    {"userfaultfd", do_userfaultfd},
    {"keyctl", do_keyctl},
    {"add_key", do_add_key},
    {"request_key", do_request_key},
    {"unshare_user", do_unshare_user},
    {"clone_newuser", do_clone_newuser},
    {"clone3", do_clone3},
    {"setns", do_setns},
    {"clock_settime", do_clock_settime},
    {"settimeofday", do_settimeofday},
    {"acct", do_acct},
    {"mknod_block", do_mknod_block},
    {"dev_mem", do_dev_mem},
    {"dev_kmsg", do_dev_kmsg},
    {"sysrq_trigger", do_sysrq_trigger},
    {"proc_sys_kernel", do_proc_sys_kernel},
    {"tiocsti", do_tiocsti},
    {"tiocsti_high", do_tiocsti_high},
    {"tioclinux", do_tioclinux},
    {"vsock", do_vsock},
    {"vsock_high", do_vsock_high},
    {"personality", do_personality},
    {"new_syscall", do_new_syscall},
    {"control_tcgets", do_control_tcgets},
    {"control_socket_inet", do_control_socket_inet},
    {"control_socket_inet_high", do_control_socket_inet_high},
    {"control_unshare_fs", do_control_unshare_fs},
    {"control_fork", do_control_fork},
    {"control_personality_query", do_control_personality_query},
};

static const char *disk_path;
static int do_disk(void) { return open_read(disk_path); }

static void report(const char *name, int (*run)(void)) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("%s fork-failed\n", name);
        return;
    }
    if (pid == 0) _exit(run());
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (WIFSIGNALED(st)) {
        printf("%s signal-%d\n", name, WTERMSIG(st));
        return;
    }
    int code = WEXITSTATUS(st);
    const char *en = errno_name(code);
    if (code == 0) printf("%s ok\n", name);
    else if (code == RESULT_EMPTY) printf("%s empty\n", name);
    else if (code == RESULT_DATA) printf("%s data\n", name);
    else if (en) printf("%s %s\n", name, en);
    else printf("%s errno-%d\n", name, code);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) report(checks[i].name, checks[i].run);
    static const char *defaults[] = {"vda", "sda", "nvme0n1", "xvda"};
    int n = argc > 1 ? argc - 1 : 4;
    for (int i = 0; i < n; i++) {
        const char *d = argc > 1 ? argv[i + 1] : defaults[i];
        char path[256], name[256];
        snprintf(path, sizeof path, "/dev/%s", d);
        snprintf(name, sizeof name, "disk_%s", d);
        disk_path = path;
        report(name, do_disk);
    }
    return 0;
}
