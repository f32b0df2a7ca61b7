/// config.json as runc writes it: members in the Go struct's order, empty values left out
/// (Go's omitempty), so that `silo spec` and `runc spec` can be compared line by line.
extension OCISpec {
    public var json: JSON {
        var m: [JSON.Member] = [.init("ociVersion", .string(ociVersion))]
        if let process { m.append(.init("process", process.json)) }
        if let root {
            var r: [JSON.Member] = [.init("path", .string(root.path))]
            if root.readonly { r.append(.init("readonly", .bool(true))) }
            m.append(.init("root", .object(r)))
        }
        if let hostname, !hostname.isEmpty { m.append(.init("hostname", .string(hostname))) }
        if let domainname, !domainname.isEmpty { m.append(.init("domainname", .string(domainname))) }
        if !mounts.isEmpty { m.append(.init("mounts", .array(mounts.map(\.json)))) }
        if !hooks.isEmpty { m.append(.init("hooks", hooks.json)) }
        if !annotations.isEmpty { m.append(.init("annotations", .stringMap(annotations))) }
        if let linux { m.append(.init("linux", linux.json)) }
        return .object(m)
    }
}

extension OCISpec.Process {
    public var json: JSON {
        var m: [JSON.Member] = []
        if terminal { m.append(.init("terminal", .bool(true))) }
        if let c = consoleSize {
            m.append(.init("consoleSize", .object([.init("height", .integer(c.height)), .init("width", .integer(c.width))])))
        }
        var u: [JSON.Member] = [.init("uid", .integer(user.uid)), .init("gid", .integer(user.gid))]
        u.add("umask", user.umask)
        if !user.additionalGids.isEmpty { u.append(.init("additionalGids", .array(user.additionalGids.map { .integer($0) }))) }
        m.append(.init("user", .object(u)))
        if !args.isEmpty { m.append(.init("args", .strings(args))) }
        if !env.isEmpty { m.append(.init("env", .strings(env))) }
        m.append(.init("cwd", .string(cwd)))
        if let c = capabilities {
            var o: [JSON.Member] = []
            for (key, set) in [("bounding", c.bounding), ("effective", c.effective), ("inheritable", c.inheritable),
                               ("permitted", c.permitted), ("ambient", c.ambient)] {
                if let set { o.append(.init(key, .strings(set))) }
            }
            m.append(.init("capabilities", .object(o)))
        }
        if !rlimits.isEmpty {
            m.append(.init("rlimits", .array(rlimits.map {
                .object([.init("type", .string($0.type)), .init("hard", .integer($0.hard)), .init("soft", .integer($0.soft))])
            })))
        }
        if noNewPrivileges { m.append(.init("noNewPrivileges", .bool(true))) }
        if let a = apparmorProfile, !a.isEmpty { m.append(.init("apparmorProfile", .string(a))) }
        m.add("oomScoreAdj", oomScoreAdj)
        if let s = selinuxLabel, !s.isEmpty { m.append(.init("selinuxLabel", .string(s))) }
        return .object(m)
    }
}

extension OCISpec.IDMapping {
    var json: JSON {
        .object([.init("containerID", .integer(containerID)), .init("hostID", .integer(hostID)), .init("size", .integer(size))])
    }
}

extension OCISpec.Mount {
    var json: JSON {
        var m: [JSON.Member] = [.init("destination", .string(destination))]
        if let type, !type.isEmpty { m.append(.init("type", .string(type))) }
        if let source, !source.isEmpty { m.append(.init("source", .string(source))) }
        if !options.isEmpty { m.append(.init("options", .strings(options))) }
        if !uidMappings.isEmpty { m.append(.init("uidMappings", .array(uidMappings.map(\.json)))) }
        if !gidMappings.isEmpty { m.append(.init("gidMappings", .array(gidMappings.map(\.json)))) }
        return .object(m)
    }
}

extension OCISpec.Hooks {
    var json: JSON {
        var m: [JSON.Member] = []
        for (key, list) in [("prestart", prestart), ("createRuntime", createRuntime), ("createContainer", createContainer),
                            ("startContainer", startContainer), ("poststart", poststart), ("poststop", poststop)] where !list.isEmpty {
            m.append(.init(key, .array(list.map { h in
                var o: [JSON.Member] = [.init("path", .string(h.path))]
                if !h.args.isEmpty { o.append(.init("args", .strings(h.args))) }
                if !h.env.isEmpty { o.append(.init("env", .strings(h.env))) }
                o.add("timeout", h.timeout)
                return .object(o)
            })))
        }
        return .object(m)
    }
}

extension OCISpec.Linux {
    public var json: JSON {
        var m: [JSON.Member] = []
        if !uidMappings.isEmpty { m.append(.init("uidMappings", .array(uidMappings.map(\.json)))) }
        if !gidMappings.isEmpty { m.append(.init("gidMappings", .array(gidMappings.map(\.json)))) }
        if !sysctl.isEmpty { m.append(.init("sysctl", .stringMap(sysctl))) }
        if let resources { m.append(.init("resources", resources.json)) }
        if let c = cgroupsPath, !c.isEmpty { m.append(.init("cgroupsPath", .string(c))) }
        if !namespaces.isEmpty {
            m.append(.init("namespaces", .array(namespaces.map { n in
                var o: [JSON.Member] = [.init("type", .string(n.type.rawValue))]
                if let p = n.path { o.append(.init("path", .string(p))) }
                return .object(o)
            })))
        }
        if !devices.isEmpty {
            m.append(.init("devices", .array(devices.map { d in
                var o: [JSON.Member] = [.init("path", .string(d.path)), .init("type", .string(d.type)),
                                        .init("major", .integer(d.major)), .init("minor", .integer(d.minor))]
                o.add("fileMode", d.fileMode); o.add("uid", d.uid); o.add("gid", d.gid)
                return .object(o)
            })))
        }
        if let seccomp { m.append(.init("seccomp", seccomp.json)) }
        if let r = rootfsPropagation, !r.isEmpty { m.append(.init("rootfsPropagation", .string(r))) }
        if !maskedPaths.isEmpty { m.append(.init("maskedPaths", .strings(maskedPaths))) }
        if !readonlyPaths.isEmpty { m.append(.init("readonlyPaths", .strings(readonlyPaths))) }
        if let l = mountLabel, !l.isEmpty { m.append(.init("mountLabel", .string(l))) }
        if let p = personality {
            var o: [JSON.Member] = [.init("domain", .string(p.domain))]
            if !p.flags.isEmpty { o.append(.init("flags", .strings(p.flags))) }
            m.append(.init("personality", .object(o)))
        }
        if !timeOffsets.isEmpty {
            m.append(.init("timeOffsets", .object(timeOffsets.keys.sorted().map { k in
                .init(k, .object([.init("secs", .integer(timeOffsets[k]!.secs)), .init("nanosecs", .integer(timeOffsets[k]!.nanosecs))]))
            })))
        }
        return .object(m)
    }
}

extension OCISpec.Seccomp {
    /// The profile as JSON, e.g. to hand to SiloKit's seccomp compiler as text.
    public var json: JSON {
        var m: [JSON.Member] = [.init("defaultAction", .string(defaultAction))]
        m.add("defaultErrnoRet", defaultErrnoRet)
        if !architectures.isEmpty { m.append(.init("architectures", .strings(architectures))) }
        if !flags.isEmpty { m.append(.init("flags", .strings(flags))) }
        if let l = listenerPath, !l.isEmpty { m.append(.init("listenerPath", .string(l))) }
        if let l = listenerMetadata, !l.isEmpty { m.append(.init("listenerMetadata", .string(l))) }
        if !syscalls.isEmpty {
            m.append(.init("syscalls", .array(syscalls.map { s in
                var o: [JSON.Member] = [.init("names", .strings(s.names)), .init("action", .string(s.action))]
                o.add("errnoRet", s.errnoRet)
                if !s.args.isEmpty {
                    o.append(.init("args", .array(s.args.map { a in
                        var e: [JSON.Member] = [.init("index", .integer(a.index)), .init("value", .integer(a.value))]
                        if a.valueTwo != 0 { e.append(.init("valueTwo", .integer(a.valueTwo))) }
                        e.append(.init("op", .string(a.op)))
                        return .object(e)
                    })))
                }
                return .object(o)
            })))
        }
        return .object(m)
    }
}
