/// `--workdir`: the path is cleaned in the parent, and after the child's chdir the kernel's
/// answer is checked only for what matters, that the cwd lies inside the new root.
public enum Workdir {
    /// The lexically clean form of an absolute path, as Go's filepath.Clean and so docker make
    /// it: no empty or `.` components, no trailing slash, `..` taking off the component
    /// before it (and nothing at `/`). Symlinks are left to the kernel's chdir.
    public static func clean(_ path: String) -> String {
        var parts: [Substring] = []
        for c in path.split(separator: "/") {
            switch c {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(c)
            }
        }
        var out = ""
        for c in parts { out += "/" + c }
        return out.isEmpty ? "/" : out
    }

    /// Whether getcwd's answer after the chdir names a place inside the container's root.
    /// It may differ from the path asked for (a symlink such as `/etclink -> /etc` resolves to
    /// `/etc`), but a cwd outside the root, such as a directory fd leaked from the host
    /// (CVE-2024-21626), comes back from the kernel as "(unreachable)/..." (which glibc's
    /// getcwd turns into ENOENT), never as an absolute path.
    public static func isInsideRoot(cwd: String) -> Bool {
        cwd.hasPrefix("/")
    }
}
