// The C lower bound for `silo run --rootfs DIR -- CMD`: the same kernel work as silo's defaults,
// with nothing else (no option parsing worth the name, no planning, no error records).
// silo's own sequence is Sources/SiloKit/{Launcher,ContainerInit,MountPlan}.swift; this file
// follows it step by step, so that `silo time / lowerbound time` is what silo's own code costs.
//
//   lowerbound [--rootfs DIR] [--host-id N] [--seccomp-bpf FILE] [--no-caps] [--minimal] -- CMD...
//
// --seccomp-bpf FILE  load this BPF program (struct sock_filter[], as seccomp_export_bpf writes
//                     it) last before exec; without it no filter is loaded. Read before clone,
//                     as silo compiles its filter before clone.
// --no-caps           leave the capability sets alone (for comparing with a silo that does not
//                     reduce them yet).
// --minimal           only clone (6 namespaces) + id maps + a bind-mounted rootfs + /proc +
//                     pivot_root + lo up + exec: the reference of docs/performance.md.
//
// SILO_TRACE=1 prints the same per-stage marks as silo (`silo-trace NS PID LABEL` on stderr),
// so that benchmarks/report.py can set the two side by side, stage by stage.
//
// Exit status: the command's, 128+signal, or 125 when the container could not be set up.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC 4
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

struct lb_mount_attr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static const char *rootfs = "/var/lib/silo/rootfs/busybox";
static unsigned long host_id = 700000000;  // above SUB_UID_MAX, away from silo's slots
static int with_caps = 1, minimal = 0;
static unsigned char *bpf;
static size_t bpf_len;
static int tree_fd = -1, sync_fd = -1;
static char **cmd;
static int tracing;

static void mark(const char *label) {
    if (!tracing) return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char buf[160];
    int n = snprintf(buf, sizeof buf, "silo-trace %llu %d %s\n",
                     (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec, getpid(), label);
    if (n > 0) write(2, buf, (size_t)n);
}

// The same lists as Sources/SiloKit/MountPlan.swift.
static const char *const devices[] = {"null", "zero", "full", "random", "urandom", "tty"};
static const char *const masked[] = {
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
    "/proc/interrupts", "/sys/firmware", "/sys/devices/virtual/powercap",
};
static const char *const readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};

// Docker's default capability set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
// NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
static const uint64_t docker_caps =
    (1ULL << 0) | (1ULL << 1) | (1ULL << 3) | (1ULL << 4) | (1ULL << 5) | (1ULL << 6) | (1ULL << 7) |
    (1ULL << 8) | (1ULL << 10) | (1ULL << 13) | (1ULL << 18) | (1ULL << 27) | (1ULL << 29) | (1ULL << 31);

static void die(const char *what, const char *obj) {
    // The child's only error path: one line, then the status silo uses for "could not start".
    char buf[512];
    int n = snprintf(buf, sizeof buf, "lowerbound: %s %s: %s\n", what, obj ? obj : "", strerror(errno));
    if (n > 0) write(2, buf, (size_t)n);
    _exit(125);
}

#define CHECK(call, what, obj) \
    do {                       \
        if ((call) < 0) die(what, obj); \
    } while (0)

static void do_mount(const char *src, const char *dst, const char *type, unsigned long flags, const char *data) {
    CHECK(mount(src, dst, type, flags, data), "mount", dst);
}

static void write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) die("open", path);
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len) die("write", path);
    close(fd);
}

static void lo_up(void) {
    // One ioctl pair on a throw-away socket: the cheapest way the kernel offers.
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) die("socket", "lo");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    CHECK(ioctl(s, SIOCGIFFLAGS, &ifr), "SIOCGIFFLAGS", "lo");
    ifr.ifr_flags |= IFF_UP;
    CHECK(ioctl(s, SIOCSIFFLAGS, &ifr), "SIOCSIFFLAGS", "lo");
    close(s);
}

static int kind(const char *path) {
    struct stat st;
    if (lstat(path, &st) < 0) return 0;
    return S_ISDIR(st.st_mode) ? 'd' : 'f';
}

static void join(char *out, size_t n, const char *a, const char *b) { snprintf(out, n, "%s%s", a, b); }

static void mount_full(const char *root) {
    char p[512], q[512];
    // The writable layer: overlay over the idmapped tree, upper and work on the staging tmpfs.
    CHECK(mkdir("/tmp/lower", 0755), "mkdir", "/tmp/lower");
    CHECK(mkdir("/tmp/upper", 0755), "mkdir", "/tmp/upper");
    CHECK(mkdir("/tmp/work", 0755), "mkdir", "/tmp/work");
    CHECK(syscall(SYS_move_mount, tree_fd, "", AT_FDCWD, "/tmp/lower", MOVE_MOUNT_F_EMPTY_PATH), "move_mount", "/tmp/lower");
    do_mount("overlay", root, "overlay", 0, "lowerdir=/tmp/lower,upperdir=/tmp/upper,workdir=/tmp/work,userxattr");
    mark("child: mount rootfs");

    // /proc and /sys before the old root goes (procfs needs a fully visible /proc to exist).
    join(p, sizeof p, root, "/proc");
    do_mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mark("child: mount /proc");
    join(p, sizeof p, root, "/sys");
    do_mount("sysfs", p, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mark("child: mount /sys");

    join(p, sizeof p, root, "/dev");
    do_mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k");
    for (size_t i = 0; i < sizeof devices / sizeof *devices; i++) {
        snprintf(p, sizeof p, "%s/dev/%s", root, devices[i]);
        snprintf(q, sizeof q, "/dev/%s", devices[i]);
        int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) die("create", p);
        close(fd);
        do_mount(q, p, NULL, MS_BIND, NULL);
    }
    join(p, sizeof p, root, "/dev/pts");
    CHECK(mkdir(p, 0755), "mkdir", p);
    do_mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
    join(p, sizeof p, root, "/dev/ptmx");
    CHECK(symlink("pts/ptmx", p), "symlink", p);
    join(p, sizeof p, root, "/dev/shm");
    CHECK(mkdir(p, 01777), "mkdir", p);
    do_mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
    join(p, sizeof p, root, "/dev/mqueue");
    CHECK(mkdir(p, 0755), "mkdir", p);
    do_mount("mqueue", p, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    static const char *const links[][2] = {
        {"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
        {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
    };
    for (size_t i = 0; i < 4; i++) {
        join(p, sizeof p, root, links[i][1]);
        CHECK(symlink(links[i][0], p), "symlink", p);
    }
    mark("child: mount /dev");

    for (size_t i = 0; i < sizeof masked / sizeof *masked; i++) {
        join(p, sizeof p, root, masked[i]);
        switch (kind(p)) {
        case 'd': do_mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL); break;
        case 'f': do_mount("/dev/null", p, NULL, MS_BIND, NULL); break;
        }
    }
    for (size_t i = 0; i < sizeof readonly / sizeof *readonly; i++) {
        join(p, sizeof p, root, readonly[i]);
        if (!kind(p)) continue;
        do_mount(p, p, NULL, MS_BIND | MS_REC, NULL);
        struct lb_mount_attr attr = {MOUNT_ATTR_RDONLY, 0, 0, 0};
        CHECK(syscall(SYS_mount_setattr, AT_FDCWD, p, AT_RECURSIVE, &attr, sizeof attr), "mount_setattr", p);
    }
    mark("child: mask paths");
}

static void harden(void) {
    if (with_caps) {
        int last = 40;
        int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            char b[8] = {0};
            if (read(fd, b, sizeof b - 1) > 0) last = atoi(b);
            close(fd);
        }
        for (int c = 0; c <= last; c++)
            if (!(docker_caps & (1ULL << c))) CHECK(prctl(PR_CAPBSET_DROP, c, 0, 0, 0), "prctl(PR_CAPBSET_DROP)", NULL);
    }
    CHECK(syscall(SYS_setgroups, 0, NULL), "setgroups", NULL);
    if (with_caps) {
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2] = {
            {(uint32_t)docker_caps, (uint32_t)docker_caps, 0},
            {(uint32_t)(docker_caps >> 32), (uint32_t)(docker_caps >> 32), 0},
        };
        CHECK(syscall(SYS_capset, &h, d), "capset", NULL);
        CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "prctl(PR_CAP_AMBIENT)", NULL);
    }
    mark("child: capabilities");
    CHECK(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)", NULL);
    mark("child: parent death signal");
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    mark("child: reset signals");
    CHECK(syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC), "close_range", NULL);
    mark("child: close fds");
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)", NULL);
    mark("child: no_new_privs");
    if (bpf) {
        struct sock_fprog prog = {(unsigned short)(bpf_len / 8), (struct sock_filter *)bpf};
        CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog), "seccomp", NULL);
        mark("child: seccomp");
    }
}

static void child(void) {
    char ack;
    if (read(sync_fd, &ack, 1) != 1) _exit(125);
    mark("child: maps received");
    CHECK(syscall(SYS_setresgid, 0, 0, 0), "setresgid", NULL);
    CHECK(syscall(SYS_setresuid, 0, 0, 0), "setresuid", NULL);
    mark("child: become container root");
    CHECK(sethostname("lowerbound", 10), "sethostname", NULL);
    mark("child: set hostname");
    lo_up();
    mark("child: bring up lo");
    do_mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL);
    mark("child: make mounts private");
    // Staging: a tmpfs over /tmp in this mount namespace only, as silo does.
    const char *root = "/tmp/root";
    do_mount("silo", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700");
    CHECK(mkdir(root, 0755), "mkdir", root);
    if (minimal) {
        CHECK(syscall(SYS_move_mount, tree_fd, "", AT_FDCWD, root, MOVE_MOUNT_F_EMPTY_PATH), "move_mount", root);
        mark("child: mount rootfs");
        do_mount("proc", "/tmp/root/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        mark("child: mount /proc");
    } else {
        mount_full(root);
    }
    CHECK(chdir(root), "chdir", root);
    CHECK(syscall(SYS_pivot_root, ".", "."), "pivot_root", root);
    CHECK(umount2(".", MNT_DETACH), "umount2", "old root");
    CHECK(chdir("/"), "chdir", "/");
    mark("child: pivot_root");
    if (!minimal) {
        // Zero offsets are the default: unshare alone gives the container its own clocks.
        CHECK(unshare(CLONE_NEWTIME), "unshare", "CLONE_NEWTIME");
        mark("child: time namespace");
        CHECK(setsid(), "setsid", NULL);
        mark("child: new session");
        harden();
    }
    mark("child: execve");
    char *env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=lowerbound", "HOME=/root", NULL};
    execve(cmd[0], cmd, env);
    die("execve", cmd[0]);
}

static void write_map(pid_t pid, const char *which) {
    char path[64], line[64];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, which);
    snprintf(line, sizeof line, "0 %lu 65536\n", host_id);
    write_file(path, line);
}

static void read_bpf(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("open", path);
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % 8 != 0) {
        errno = EINVAL;
        die("seccomp BPF", path);
    }
    bpf_len = (size_t)st.st_size;
    bpf = malloc(bpf_len);
    if (!bpf || read(fd, bpf, bpf_len) != (ssize_t)bpf_len) die("read", path);
    close(fd);
}

int main(int argc, char **argv) {
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--")) { i++; break; }
        else if (!strcmp(argv[i], "--rootfs") && i + 1 < argc) rootfs = argv[++i];
        else if (!strcmp(argv[i], "--host-id") && i + 1 < argc) host_id = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--seccomp-bpf") && i + 1 < argc) read_bpf(argv[++i]);
        else if (!strcmp(argv[i], "--no-caps")) with_caps = 0;
        else if (!strcmp(argv[i], "--minimal")) minimal = 1;
        else break;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: lowerbound [--rootfs DIR] [--host-id N] [--seccomp-bpf FILE] [--no-caps] [--minimal] -- CMD...\n");
        return 125;
    }
    cmd = argv + i;
    const char *t = getenv("SILO_TRACE");
    tracing = t && *t && strcmp(t, "0") != 0;
    mark("main");

    tree_fd = (int)syscall(SYS_open_tree, AT_FDCWD, rootfs, OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE);
    if (tree_fd < 0) die("open_tree", rootfs);
    mark("prepare: open_tree rootfs");
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) die("socketpair", NULL);
    // Blocked as silo blocks them (it forwards them to the container); the child unblocks.
    sigset_t block, old;
    sigemptyset(&block);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD};
    for (size_t k = 0; k < sizeof sigs / sizeof *sigs; k++) sigaddset(&block, sigs[k]);
    sigprocmask(SIG_BLOCK, &block, &old);
    mark("socketpair, signals blocked");

    unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC;
    if (!minimal) flags |= CLONE_NEWCGROUP;
    pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) die("clone", NULL);
    if (pid == 0) {
        close(sv[0]);
        sync_fd = sv[1];
        child();
    }
    close(sv[1]);
    mark("clone");
    write_map(pid, "uid_map");
    write_map(pid, "gid_map");
    if (!minimal) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
        int userns = open(path, O_RDONLY | O_CLOEXEC);
        if (userns < 0) die("open", path);
        struct lb_mount_attr attr = {MOUNT_ATTR_IDMAP, 0, 0, (uint64_t)userns};
        if (syscall(SYS_mount_setattr, tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
            die("mount_setattr(MOUNT_ATTR_IDMAP)", rootfs);
        close(userns);
    }
    mark("id maps, idmapped rootfs");
    char ack = 1;
    if (write(sv[0], &ack, 1) != 1) die("write", "sync socket");
    close(tree_fd);
    // EOF: the child exec'd (CLOEXEC) or died.
    while (read(sv[0], &ack, 1) > 0) {}
    mark("child exec'd (sync socket EOF)");
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    mark("container exited");
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}
