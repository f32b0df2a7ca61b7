// steptrace LO HI PROGRAM ARGS...: runs PROGRAM under ptrace, single-stepping it and every
// process or thread it clones, and prints each distinct instruction address in [LO, HI) (hex)
// that any of them executed, in ascending order. A process that execs another program is let go
// at its exec. benchmarks/link-order.sh turns the addresses into silo's link order.
//
// Why single-stepping: it sees every function executed, however briefly, in the parent and in
// the CLONE_VM child alike, where sampling (perf) misses short functions and valgrind lacks
// open_tree and friends. It is slow (about 0.1 ms a step in a VM): minutes for one silo run.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: steptrace LO HI PROGRAM [ARGS...]\n");
        return 2;
    }
    unsigned long lo = strtoul(argv[1], 0, 16), hi = strtoul(argv[2], 0, 16);
    if (hi <= lo) return 2;
    unsigned char *hit = calloc(hi - lo, 1);
    if (!hit) return 1;
    pid_t root = fork();
    if (root < 0) return 1;
    if (root == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        execv(argv[3], argv + 3);
        _exit(127);
    }
    int st;
    waitpid(root, &st, 0);
    ptrace(PTRACE_SETOPTIONS, root, 0,
           PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL);
    ptrace(PTRACE_CONT, root, 0, 0);  // run freely up to PROGRAM's own exec
    int root_execs = 0;
    long steps = 0;
    for (;;) {
        pid_t p = waitpid(-1, &st, __WALL);
        if (p < 0) break;
        if (WIFEXITED(st) || WIFSIGNALED(st)) continue;
        int sig = WSTOPSIG(st), event = st >> 16, deliver = 0;
        if (event == PTRACE_EVENT_EXEC) {
            if (p != root || root_execs++ > 0) {  // a child became another program
                ptrace(PTRACE_DETACH, p, 0, 0);
                continue;
            }
        } else if (event) {
            // clone/fork: the new process arrives on its own with a SIGSTOP
        } else if (sig == SIGTRAP) {
            struct user_regs_struct regs;
            ptrace(PTRACE_GETREGS, p, 0, &regs);
            if (regs.rip >= lo && regs.rip < hi) hit[regs.rip - lo] = 1;
            steps++;
        } else if (sig != SIGSTOP) {
            deliver = sig;
        }
        ptrace(PTRACE_SINGLESTEP, p, 0, deliver);
    }
    for (unsigned long a = 0; a < hi - lo; a++)
        if (hit[a]) printf("%lx\n", a + lo);
    fprintf(stderr, "steptrace: %ld instructions stepped\n", steps);
    return 0;
}
