/// Capabilities, seccomp, no_new_privs and rlimits for the plan (issue: hardening).
enum Hardening {
    static func configure(_ plan: inout ContainerPlan, config: RunConfig) throws(RuntimeError) {
        plan.noNewPrivs = config.noNewPrivileges
    }
}
