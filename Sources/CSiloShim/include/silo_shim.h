// The few kernel entry points Swift cannot call: variadic libc functions (syscall, prctl),
// function-like macros (WIFEXITED...), and syscalls glibc 2.36 has no wrapper for.
// Every function is a one-line pass-through; no logic lives here (docs/architecture.md).
#ifndef SILO_SHIM_H
#define SILO_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/signalfd.h>  // signalfd(2), its flags and siginfo: Swift's Glibc module leaves the header out

#pragma clang assume_nonnull begin

// Fork-like clone(2): returns 0 in the child, the child's pid in the parent, -1 and errno on error.
// SIGCHLD is always the exit signal. Safe only while the caller has exactly one thread.
pid_t silo_clone(unsigned long flags);
// clone(2) with CLONE_VM, as vfork's child but without suspending the caller: the child runs
// fn(arg) on `stack_top` in the caller's memory until it execs or exits. SIGCHLD is the exit signal.
pid_t silo_clone_vm(unsigned long flags, void *stack_top, int (*fn)(void *), void *arg);
// Fork-like clone3(2) with CLONE_INTO_CGROUP: the child is born in the cgroup2 directory open as
// `cgroup_fd`. Same returns as silo_clone; ENOSYS before Linux 5.7 (or under a seccomp filter).
pid_t silo_clone3_into_cgroup(unsigned long flags, int cgroup_fd);
void silo_exit(int status) __attribute__((noreturn));

int silo_pivot_root(const char *new_root, const char *put_old);
int silo_close_range(unsigned int first, unsigned int last, unsigned int flags);
int silo_open_tree(int dfd, const char *path, unsigned int flags);
int silo_move_mount(int from_dfd, const char *from_path, int to_dfd, const char *to_path, unsigned int flags);
int silo_mount_setattr(int dfd, const char *path, unsigned int flags,
                       uint64_t attr_set, uint64_t attr_clr, uint64_t propagation, uint64_t userns_fd);
int silo_fsopen(const char *fsname, unsigned int flags);
int silo_fsconfig(int fd, unsigned int cmd, const char *_Nullable key, const void *_Nullable value, int aux);
int silo_fsmount(int fd, unsigned int flags, unsigned int attr_flags);
// openat2(2) with its struct open_how built from the three fields.
int silo_openat2(int dfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
int silo_setns(int fd, int nstype);
int silo_execveat(int dfd, const char *path, char *_Nullable const *argv, char *_Nullable const *envp, int flags);
int silo_unshare(int flags);
int silo_pidfd_open(pid_t pid, unsigned int flags);
ssize_t silo_getrandom(void *buf, size_t len);
int silo_pipe2(int *fds, int flags);
int silo_memfd_create(const char *name, unsigned int flags);

// Raw credential syscalls: glibc's wrappers broadcast to all threads (setxid), which
// must not run in a freshly cloned child.
int silo_setresuid(uid_t r, uid_t e, uid_t s);
int silo_setresgid(gid_t r, gid_t e, gid_t s);
int silo_setgroups(size_t n, const gid_t *_Nullable groups);

// rt_sigaction(sig, SIG_DFL) without glibc's wrapper, which refuses glibc's own internal signals
// (32 and 33): a caller may have left those ignored, and an exec'd command must not inherit that.
int silo_signal_default(int sig);
int silo_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int silo_seccomp_set_filter(unsigned int flags, const void *bpf, unsigned short len);
int silo_ioctl_ptr(int fd, unsigned long request, void *_Nullable arg);

int silo_wifexited(int status);
int silo_wexitstatus(int status);
int silo_wifsignaled(int status);
int silo_wtermsig(int status);

// posix_spawn_file_actions_addclosefrom_np (glibc 2.34, behind _GNU_SOURCE); `actions` is a
// posix_spawn_file_actions_t *.
int silo_spawn_addclosefrom(void *actions, int from);

#pragma clang assume_nonnull end

// pidfd_send_signal(2) (no glibc 2.36 wrapper) and the CMSG_* macros, for issue 11 (pidfd.c).
#pragma clang assume_nonnull begin
int silo_pidfd_send_signal(int pidfd, int sig, unsigned int flags);
size_t silo_cmsg_space(size_t len);
size_t silo_cmsg_len(size_t len);
void *_Nullable silo_cmsg_firsthdr(void *msghdr);
void *silo_cmsg_data(void *cmsghdr);
#pragma clang assume_nonnull end

#endif
