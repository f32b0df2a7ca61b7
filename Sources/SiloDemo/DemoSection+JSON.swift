import SiloSpec

/// A section as `silo demo --json` writes it.
extension DemoSection {
    public var json: JSON {
        func cell(_ lines: [String]?) -> JSON {
            guard let lines else { return .null }
            return lines.count == 1 ? .string(lines[0]) : .lines(lines)
        }
        return .fields([
            ("kind", .string(about.kind.rawValue)),
            ("title", .string(about.title)),
            ("clone_flag", .string(about.cloneFlag)),
            ("since", .string(about.since)),
            ("about", .string(about.text)),
            ("shared", .bool(shared)),
            ("verdict", .string(verdict.rawValue)),
            ("reason", .string(reason)),
            ("evidence", .array(rows.map { r in
                .fields([("key", .string(r.key)), ("label", .string(r.label)), ("host", cell(r.host)), ("container", cell(r.container))])
            })),
            ("notes", .lines(notes)),
            ("script", .string(script)),
        ])
    }
}
