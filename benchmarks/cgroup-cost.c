// The kernel's price of a container cgroup on a v1/hybrid host: mkdir in each hierarchy under the
// caller's own cgroup, move a process in (cgroup.procs), move it out, rmdir. Warm (back to back)
// and cold (after an idle pause, when creating a css can wait for an RCU grace period).
//   cc -O2 -o /tmp/cgroup-cost benchmarks/cgroup-cost.c && /tmp/cgroup-cost [runs] [idle_ms]
// Prints per set of hierarchies: median and p90 of the whole cycle and of each step, in µs.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXH 16
static char own[MAXH][512], name[MAXH][64];
static int nh;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void put(const char *path, const char *v) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, v, strlen(v)) < 0) { perror(path); exit(1); }
    close(fd);
}

static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }

static void load(void) {
    FILE *f = fopen("/proc/self/cgroup", "r");
    char line[1024];
    while (fgets(line, sizeof line, f) && nh < MAXH) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2) continue;
        *c2 = 0;
        line[strcspn(c2 + 1, "\n") + (c2 + 1 - line)] = 0;
        const char *ctrl = c1 + 1, *path = c2 + 1;
        const char *dir = !*ctrl ? "unified" : strncmp(ctrl, "name=", 5) == 0 ? ctrl + 5 : ctrl;
        if (strcmp(dir, "systemd") == 0 && access("/sys/fs/cgroup/systemd", F_OK) != 0) continue;
        snprintf(name[nh], sizeof name[nh], "%s", dir);
        snprintf(own[nh], sizeof own[nh], "/sys/fs/cgroup/%s%s", dir, strcmp(path, "/") ? path : "");
        nh++;
    }
    fclose(f);
}

// One cycle over the hierarchies whose name is in `set` (comma list, "all" for every one).
static void cycle(const char *set, int i, double *t) {
    char dir[MAXH][640], p[700], pid[32];
    int use[MAXH], n = 0;
    snprintf(pid, sizeof pid, "%d", getpid());
    for (int h = 0; h < nh; h++) {
        char pat[80];
        snprintf(pat, sizeof pat, ",%s,", name[h]);
        char s[256];
        snprintf(s, sizeof s, ",%s,", set);
        if (strcmp(set, "all") && !strstr(s, pat)) continue;
        use[n] = h;
        snprintf(dir[n], sizeof dir[n], "%s/silo-bench-%d-%d", own[h], getpid(), i);
        n++;
    }
    double t0 = now();
    for (int k = 0; k < n; k++) if (mkdir(dir[k], 0755)) { perror(dir[k]); exit(1); }
    for (int k = 0; k < n; k++) {
        if (strcmp(name[use[k]], "cpuset") == 0) {
            // A new v1 cpuset is empty; nothing can join before cpus and mems are set.
            snprintf(p, sizeof p, "%s/cpuset.cpus", dir[k]); put(p, "0-1");
            snprintf(p, sizeof p, "%s/cpuset.mems", dir[k]); put(p, "0");
        }
    }
    double t1 = now();
    for (int k = 0; k < n; k++) { snprintf(p, sizeof p, "%s/cgroup.procs", dir[k]); put(p, pid); }
    double t2 = now();
    for (int k = 0; k < n; k++) { snprintf(p, sizeof p, "%s/cgroup.procs", own[use[k]]); put(p, pid); }
    double t3 = now();
    for (int k = 0; k < n; k++) if (rmdir(dir[k])) { perror(dir[k]); exit(1); }
    double t4 = now();
    t[0] = t4 - t0; t[1] = t1 - t0; t[2] = t2 - t1; t[3] = t3 - t2; t[4] = t4 - t3;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 50, idle = argc > 2 ? atoi(argv[2]) : 100;
    load();
    const char *sets[] = {"all", "memory,pids,freezer,cpuacct", "memory,pids"};
    const char *steps[] = {"total", "mkdir", "join", "leave", "rmdir"};
    for (int s = 0; s < 3; s++) {
        for (int cold = 0; cold < 2; cold++) {
            double t[5][1000];
            for (int i = 0; i < runs && i < 1000; i++) {
                if (cold) usleep(idle * 1000);
                double r[5];
                cycle(sets[s], i, r);
                for (int k = 0; k < 5; k++) t[k][i] = r[k];
            }
            printf("%-28s %-4s", sets[s], cold ? "cold" : "warm");
            for (int k = 0; k < 5; k++) {
                qsort(t[k], runs, sizeof(double), cmp);
                printf("  %s %7.0f/%-7.0f", steps[k], t[k][runs / 2], t[k][runs * 9 / 10]);
            }
            printf("\n");
        }
    }
    return 0;
}
