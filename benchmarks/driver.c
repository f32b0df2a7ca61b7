// The benchmark driver: starts commands and times them with CLOCK_MONOTONIC, reads each one's
// peak RSS from wait4's rusage, and writes one CSV line per sample. Small and in C so that
// its own cost is the same, and negligible, for every runtime it times.
//
//   driver rounds  [--rounds N] [--warmup N] [--idle-ms N] [--mode NAME] CMDFILE   (interleaved starts)
//   driver loop    [--count N] [--reps N] CMDFILE                                   (N starts back to back)
//   driver burst   [--count N] [--reps N] CMDFILE                                   (N starts at once)
//   driver trace   [--runs N] -- ARGV...        (SILO_TRACE=1; prints spawn/exit marks and silo's own)
//
// CMDFILE: one command a line, fields separated by tabs: LABEL, OPTIONS, then argv. OPTIONS is
// "-" or a comma-separated list of `mntns=PATH` (setns into that mount namespace before exec)
// and `fd=N:PATH` (PATH open read-only on fd N, for bwrap --seccomp N) and `user=UID:GID` (the
// command runs as that user, no supplementary groups, XDG_RUNTIME_DIR unset: rootless.sh). `{id}` in an argument
// becomes a unique id (container names for crun and runc). Lines starting with # are skipped.
//
// Output (stdout), CSV: kind,mode,label,run,ns,maxrss_kb,status
//   kind = start (one start), loop (N starts back to back), burst (N starts at once);
//   ns = the wall time of that sample; status = exit status (0 = success, else the first failure).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <grp.h>
#include <unistd.h>

#define MAXCMD 32
#define MAXARG 64

struct command {
    char label[64];
    char mntns[256];
    char fdpath[256];
    int fdnum;
    long uid, gid;
    char *argv[MAXARG];
    int argc;
};

static struct command cmds[MAXCMD];
static int ncmds;
static unsigned long serial;
static int errfd = 2;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void load(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(2); }
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        if (ncmds == MAXCMD) { fprintf(stderr, "driver: too many commands\n"); exit(2); }
        struct command *c = &cmds[ncmds];
        char *save = NULL, *tok = strtok_r(line, "\t", &save);
        snprintf(c->label, sizeof c->label, "%s", tok);
        tok = strtok_r(NULL, "\t", &save);
        snprintf(c->mntns, sizeof c->mntns, "-");
        c->fdnum = -1;
        c->uid = c->gid = -1;
        char *osave = NULL, *opts = tok && strcmp(tok, "-") ? tok : NULL;
        for (char *o = opts ? strtok_r(opts, ",", &osave) : NULL; o; o = strtok_r(NULL, ",", &osave)) {
            if (!strncmp(o, "mntns=", 6)) snprintf(c->mntns, sizeof c->mntns, "%s", o + 6);
            else if (!strncmp(o, "fd=", 3) && strchr(o, ':')) {
                c->fdnum = atoi(o + 3);
                snprintf(c->fdpath, sizeof c->fdpath, "%s", strchr(o, ':') + 1);
            } else if (!strncmp(o, "user=", 5) && strchr(o, ':')) {
                c->uid = atol(o + 5);
                c->gid = atol(strchr(o, ':') + 1);
            } else { fprintf(stderr, "driver: %s: unknown option %s\n", c->label, o); exit(2); }
        }
        while ((tok = strtok_r(NULL, "\t", &save)) && c->argc < MAXARG - 1) c->argv[c->argc++] = strdup(tok);
        if (c->argc == 0) { fprintf(stderr, "driver: %s: no command\n", c->label); exit(2); }
        ncmds++;
    }
    free(line);
    fclose(f);
}

// argv with {id} replaced; the strings live until the next call with the same slot.
static char **expand(struct command *c, char **buf) {
    static char *out[MAXARG];
    char id[64];
    snprintf(id, sizeof id, "bench-%d-%lu", getpid(), serial++);
    for (int i = 0; i < c->argc; i++) {
        char *p = strstr(c->argv[i], "{id}");
        if (!p) { out[i] = c->argv[i]; continue; }
        size_t n = strlen(c->argv[i]) + strlen(id);
        buf[i] = realloc(buf[i], n);
        snprintf(buf[i], n, "%.*s%s%s", (int)(p - c->argv[i]), c->argv[i], id, p + 4);
        out[i] = buf[i];
    }
    out[c->argc] = NULL;
    return out;
}

static pid_t spawn(struct command *c, char **argv, int trace) {
    int nsfd = -1;
    if (strcmp(c->mntns, "-") != 0) {
        nsfd = open(c->mntns, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0) { perror(c->mntns); exit(2); }
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (nsfd >= 0 && setns(nsfd, CLONE_NEWNS) < 0) _exit(124);
        if (c->fdnum >= 0) {
            int fd = open(c->fdpath, O_RDONLY);
            if (fd < 0 || dup2(fd, c->fdnum) < 0) _exit(124);
        }
        if (c->uid >= 0) {
            if (setgroups(0, NULL) < 0 || setresgid(c->gid, c->gid, c->gid) < 0 || setresuid(c->uid, c->uid, c->uid) < 0) _exit(124);
            unsetenv("XDG_RUNTIME_DIR");
        }
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        if (!trace) dup2(errfd, 2);
        if (trace) setenv("SILO_TRACE", "1", 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (nsfd >= 0) close(nsfd);
    return pid;
}

static int status_code(int st) {
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return 255;
}

static int wait_one(pid_t pid, long *maxrss) {
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0) {
        if (errno != EINTR) return 255;
    }
    if (maxrss) *maxrss = ru.ru_maxrss;
    return status_code(st);
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

static char *argbuf[MAXCMD][MAXARG];

// A fixed-seed xorshift: the same shuffles in every run of the benchmark.
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static unsigned next_random(unsigned bound) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % bound);
}

static int rounds(int n, int warmup, int idle_ms, const char *mode) {
    int failures = 0;
    int order[MAXCMD];
    for (int k = 0; k < ncmds; k++) order[k] = k;
    for (int r = -warmup; r < n; r++) {
        // A new order each round: each runtime follows each other one about equally often, so
        // the work one leaves behind (async namespace teardown) does not always land on the same.
        for (int k = ncmds - 1; k > 0; k--) {
            int j = (int)next_random((unsigned)k + 1), t = order[k];
            order[k] = order[j];
            order[j] = t;
        }
        for (int k = 0; k < ncmds; k++) {
            int i = order[k];
            struct command *c = &cmds[i];
            char **argv = expand(c, argbuf[i]);
            if (idle_ms) sleep_ms(idle_ms);
            uint64_t t0 = now_ns();
            pid_t pid = spawn(c, argv, 0);
            long rss = 0;
            int st = wait_one(pid, &rss);
            uint64_t t1 = now_ns();
            if (st) failures++;
            if (r >= 0) printf("start,%s,%s,%d,%llu,%ld,%d\n", mode, c->label, r, (unsigned long long)(t1 - t0), rss, st);
        }
        fflush(stdout);
    }
    return failures;
}

static int loop(int count, int reps) {
    int failures = 0;
    for (int r = 0; r < reps; r++) {
        for (int k = 0; k < ncmds; k++) {
            int i = (k + r) % ncmds;
            struct command *c = &cmds[i];
            int first = 0;
            long maxrss = 0;
            uint64_t t0 = now_ns();
            for (int j = 0; j < count; j++) {
                long rss = 0;
                int st = wait_one(spawn(c, expand(c, argbuf[i]), 0), &rss);
                if (st && !first) first = st;
                if (rss > maxrss) maxrss = rss;
            }
            uint64_t t1 = now_ns();
            if (first) failures++;
            printf("loop,%d,%s,%d,%llu,%ld,%d\n", count, c->label, r, (unsigned long long)(t1 - t0), maxrss, first);
        }
        fflush(stdout);
    }
    return failures;
}

static int burst(int count, int reps) {
    int failures = 0;
    pid_t *pids = calloc((size_t)count, sizeof *pids);
    char ***bufs = calloc((size_t)count, sizeof *bufs);
    for (int j = 0; j < count; j++) bufs[j] = calloc(MAXARG, sizeof(char *));
    for (int r = 0; r < reps; r++) {
        for (int k = 0; k < ncmds; k++) {
            int i = (k + r) % ncmds;
            struct command *c = &cmds[i];
            int bad = 0, first = 0;
            long maxrss = 0;
            uint64_t t0 = now_ns();
            for (int j = 0; j < count; j++) pids[j] = spawn(c, expand(c, bufs[j]), 0);
            for (int j = 0; j < count; j++) {
                long rss = 0;
                int st = wait_one(pids[j], &rss);
                if (st) { bad++; if (!first) first = st; }
                if (rss > maxrss) maxrss = rss;
            }
            uint64_t t1 = now_ns();
            if (bad) {
                failures++;
                fprintf(stderr, "driver: burst of %d %s: %d failed (first status %d)\n", count, c->label, bad, first);
            }
            printf("burst,%d,%s,%d,%llu,%ld,%d\n", count, c->label, r, (unsigned long long)(t1 - t0), maxrss, bad ? first : 0);
        }
        fflush(stdout);
    }
    return failures;
}

// SILO_TRACE=1 runs: prints "spawn NS", silo's own trace lines, "exit NS", one run after another.
static int trace(int runs, char **argv) {
    struct command c = {.label = "trace", .mntns = "-", .uid = -1, .gid = -1};
    int failures = 0;
    for (int r = 0; r < runs; r++) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) { perror("pipe"); return 1; }
        errfd = p[1];
        uint64_t t0 = now_ns();
        pid_t pid = fork();
        if (pid == 0) {
            int devnull = open("/dev/null", O_RDWR);
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(p[1], 2);
            setenv("SILO_TRACE", "1", 1);
            execvp(argv[0], argv);
            _exit(127);
        }
        close(p[1]);
        (void)c;
        static char buf[1 << 16];
        size_t len = 0;
        ssize_t n;
        while ((n = read(p[0], buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)n;
        close(p[0]);
        int st = wait_one(pid, NULL);
        uint64_t t1 = now_ns();
        buf[len] = 0;
        printf("run %d\nspawn %llu\n%sexit %llu status %d\n", r, (unsigned long long)t0, buf, (unsigned long long)t1, st);
        if (st) failures++;
        sleep_ms(5);
    }
    return failures;
}

int main(int argc, char **argv) {
    if (argc < 2) goto usage;
    const char *verb = argv[1];
    int n = 0, reps = 3, warmup = 3, idle = 0;
    const char *mode = "warm";
    int i = 2;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") || !strcmp(argv[i], "--count") || !strcmp(argv[i], "--runs")) n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup")) warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--idle-ms")) idle = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--mode")) mode = argv[++i];
        else if (!strcmp(argv[i], "--")) { i++; break; }
        else break;
    }
    if (i >= argc) goto usage;
    if (!strcmp(verb, "trace")) return trace(n ? n : 20, argv + i) ? 1 : 0;
    load(argv[i]);
    // A runtime's error messages go to a log next to the results, not into the timings.
    const char *log = getenv("DRIVER_STDERR");
    if (log) {
        errfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (errfd < 0) errfd = 2;
    }
    int failures;
    if (!strcmp(verb, "rounds")) failures = rounds(n ? n : 30, warmup, idle, mode);
    else if (!strcmp(verb, "loop")) failures = loop(n ? n : 100, reps);
    else if (!strcmp(verb, "burst")) failures = burst(n ? n : 10, reps);
    else goto usage;
    return failures ? 1 : 0;
usage:
    fprintf(stderr, "usage: driver rounds|loop|burst [options] CMDFILE | driver trace [--runs N] -- ARGV...\n");
    return 2;
}
