// Compiles benchmarks/seccomp-profile.txt into a BPF program with libseccomp and writes it
// (struct sock_filter[]) to stdout, for `lowerbound --seccomp-bpf FILE`. Names this
// libseccomp does not know, and 32-bit-only names, are skipped as runc and crun skip them.
//   seccomp-gen < seccomp-profile.txt > filter.bpf
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx) return 1;
    // The caller sets no_new_privs itself, as silo does.
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    char line[256];
    int rules = 0, skipped = 0;
    while (fgets(line, sizeof line, stdin)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char name[64], arg[16] = "", op[16] = "";
        unsigned long long a = 0, b = 0;
        int n = sscanf(line, "%63s %15s %15s %llu %llu", name, arg, op, &a, &b);
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR || nr < 0) { skipped++; continue; }
        int r;
        if (n == 1) {
            r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
        } else if (!strcmp(arg, "errno")) {
            r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO((unsigned)atoi(op)), nr, 0);
        } else {
            unsigned idx = (unsigned)(arg[3] - '0');
            struct scmp_arg_cmp cmp;
            if (!strcmp(op, "maskedeq")) cmp = (struct scmp_arg_cmp){idx, SCMP_CMP_MASKED_EQ, a, b};
            else if (!strcmp(op, "eq")) cmp = (struct scmp_arg_cmp){idx, SCMP_CMP_EQ, a, 0};
            else cmp = (struct scmp_arg_cmp){idx, SCMP_CMP_NE, a, 0};
            r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
        }
        if (r < 0) { fprintf(stderr, "seccomp-gen: %s: %s\n", name, strerror(-r)); return 1; }
        rules++;
    }
    if (seccomp_export_bpf(ctx, 1) < 0) return 1;
    fprintf(stderr, "seccomp-gen: %d rules, %d names skipped\n", rules, skipped);
    seccomp_release(ctx);
    return 0;
}
