#define _GNU_SOURCE
#include "silo_shim.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pivot_root
#define SYS_pivot_root 155
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

struct silo_mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};

pid_t silo_clone(unsigned long flags) {
#if defined(__s390x__) || defined(__s390__)
    return (pid_t)syscall(SYS_clone, 0, flags | SIGCHLD, 0, 0, 0);
#else
    return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
#endif
}

pid_t silo_clone_vm(unsigned long flags, void *stack_top, int (*fn)(void *), void *arg) {
    return clone(fn, stack_top, (int)(flags | CLONE_VM | SIGCHLD), arg);
}

// struct clone_args (linux/sched.h, v2 size: up to `cgroup`), spelled out: glibc 2.36 has no clone3.
struct silo_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

pid_t silo_clone3_into_cgroup(unsigned long flags, int cgroup_fd) {
    struct silo_clone_args a = {0};
    a.flags = flags | 0x200000000ULL;  // CLONE_INTO_CGROUP (Linux 5.7)
    a.exit_signal = SIGCHLD;
    a.cgroup = (uint64_t)cgroup_fd;
    return (pid_t)syscall(SYS_clone3, &a, sizeof a);
}

void silo_exit(int status) { _exit(status); }

int silo_signal_default(int sig) {
    struct { void *handler; unsigned long flags; void *restorer; unsigned long mask; } act = { SIG_DFL, 0, 0, 0 };
    return (int)syscall(SYS_rt_sigaction, sig, &act, 0, sizeof act.mask);
}

int silo_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int silo_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}

int silo_open_tree(int dfd, const char *path, unsigned int flags) {
    return (int)syscall(SYS_open_tree, dfd, path, flags);
}

int silo_move_mount(int from_dfd, const char *from_path, int to_dfd, const char *to_path, unsigned int flags) {
    return (int)syscall(SYS_move_mount, from_dfd, from_path, to_dfd, to_path, flags);
}

int silo_mount_setattr(int dfd, const char *path, unsigned int flags,
                       uint64_t attr_set, uint64_t attr_clr, uint64_t propagation, uint64_t userns_fd) {
    struct silo_mount_attr attr = {attr_set, attr_clr, propagation, userns_fd};
    return (int)syscall(SYS_mount_setattr, dfd, path, flags, &attr, sizeof(attr));
}

int silo_fsopen(const char *fsname, unsigned int flags) {
    return (int)syscall(SYS_fsopen, fsname, flags);
}

int silo_fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux) {
    return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

int silo_fsmount(int fd, unsigned int flags, unsigned int attr_flags) {
    return (int)syscall(SYS_fsmount, fd, flags, attr_flags);
}

int silo_openat2(int dfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    uint64_t how[3] = {flags, mode, resolve};  // struct open_how
    return (int)syscall(SYS_openat2, dfd, path, how, sizeof(how));
}

int silo_setns(int fd, int nstype) { return (int)syscall(SYS_setns, fd, nstype); }
int silo_execveat(int dfd, const char *path, char *const *argv, char *const *envp, int flags) {
    return (int)syscall(SYS_execveat, dfd, path, argv, envp, flags);
}
int silo_unshare(int flags) { return (int)syscall(SYS_unshare, flags); }
int silo_pidfd_open(pid_t pid, unsigned int flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
ssize_t silo_getrandom(void *buf, size_t len) { return syscall(SYS_getrandom, buf, len, 0); }
int silo_pipe2(int *fds, int flags) { return pipe2(fds, flags); }
int silo_memfd_create(const char *name, unsigned int flags) { return (int)syscall(SYS_memfd_create, name, flags); }

int silo_setresuid(uid_t r, uid_t e, uid_t s) { return (int)syscall(SYS_setresuid, r, e, s); }
int silo_setresgid(gid_t r, gid_t e, gid_t s) { return (int)syscall(SYS_setresgid, r, e, s); }
int silo_setgroups(size_t n, const gid_t *groups) { return (int)syscall(SYS_setgroups, n, groups); }

int silo_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    return prctl(option, a2, a3, a4, a5);
}

int silo_seccomp_set_filter(unsigned int flags, const void *bpf, unsigned short len) {
    struct sock_fprog prog = {len, (struct sock_filter *)bpf};
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

int silo_ioctl_ptr(int fd, unsigned long request, void *arg) { return ioctl(fd, request, arg); }

int silo_wifexited(int status) { return WIFEXITED(status); }
int silo_wexitstatus(int status) { return WEXITSTATUS(status); }
int silo_wifsignaled(int status) { return WIFSIGNALED(status); }
int silo_wtermsig(int status) { return WTERMSIG(status); }
