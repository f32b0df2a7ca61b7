// What CLONE_INTO_CGROUP saves on a cgroup2: a child born in its cgroup (clone3) against a child
// forked and then moved (write to cgroup.procs), warm and after an idle pause. On this hybrid host
// the cgroup2 is /sys/fs/cgroup/unified; a v1 hierarchy is measured alongside for the move.
//   cc -O2 -o /tmp/clone-into-cgroup benchmarks/clone-into-cgroup.c && /tmp/clone-into-cgroup [runs] [idle_ms]
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }

static void put(const char *path, const char *v) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, v, strlen(v)) < 0) { perror(path); exit(1); }
    close(fd);
}

// fork, then the parent moves the child (as silo's launcher does before its ack)
static double forkThenMove(const char *procs) {
    int p[2];
    if (pipe(p)) exit(1);
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) { char c; close(p[1]); if (read(p[0], &c, 1) < 0) _exit(1); _exit(0); }
    char s[32];
    snprintf(s, sizeof s, "%d", pid);
    put(procs, s);
    double t = now() - t0;
    close(p[0]); close(p[1]);
    waitpid(pid, NULL, 0);
    return t;
}

static double cloneInto(int cgfd) {
    struct clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = CLONE_INTO_CGROUP;
    a.exit_signal = SIGCHLD;
    a.cgroup = (uint64_t)cgfd;
    double t0 = now();
    long pid = syscall(SYS_clone3, &a, sizeof a);
    if (pid == 0) _exit(0);
    if (pid < 0) { perror("clone3"); exit(1); }
    double t = now() - t0;
    waitpid((pid_t)pid, NULL, 0);
    return t;
}

static double plainFork(void) {
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    double t = now() - t0;
    waitpid(pid, NULL, 0);
    return t;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 40, idle = argc > 2 ? atoi(argv[2]) : 100;
    char v2[128], v1[128], v2procs[160], v1procs[160];
    snprintf(v2, sizeof v2, "/sys/fs/cgroup/unified/silo-clonebench-%d", getpid());
    snprintf(v1, sizeof v1, "/sys/fs/cgroup/pids/silo-clonebench-%d", getpid());
    snprintf(v2procs, sizeof v2procs, "%s/cgroup.procs", v2);
    snprintf(v1procs, sizeof v1procs, "%s/cgroup.procs", v1);
    if (mkdir(v2, 0755) || mkdir(v1, 0755)) { perror("mkdir"); return 1; }
    int cgfd = open(v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const char *names[] = {"fork (no cgroup)", "fork + move (cgroup2)", "clone3 CLONE_INTO_CGROUP", "fork + move (v1 pids)"};
    for (int cold = 0; cold < 2; cold++) {
        for (int m = 0; m < 4; m++) {
            double t[1000];
            for (int i = 0; i < runs && i < 1000; i++) {
                if (cold) usleep(idle * 1000);
                t[i] = m == 0 ? plainFork() : m == 1 ? forkThenMove(v2procs) : m == 2 ? cloneInto(cgfd) : forkThenMove(v1procs);
            }
            qsort(t, runs, sizeof(double), cmp);
            printf("%-4s %-26s median %7.0f µs  p90 %7.0f µs\n", cold ? "cold" : "warm", names[m], t[runs / 2], t[runs * 9 / 10]);
        }
    }
    close(cgfd);
    usleep(50000);
    if (rmdir(v2) || rmdir(v1)) perror("rmdir");
    return 0;
}
