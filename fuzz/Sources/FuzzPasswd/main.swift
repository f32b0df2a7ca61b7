import FuzzSupport
import SiloKit

// `--user SPEC` against the rootfs's /etc/passwd and /etc/group: the input is
// SPEC NUL PASSWD NUL GROUP.
fuzz { bytes in
    let f = fields(bytes, limit: 2)
    let user = try? UserSpec.resolve(f[0], passwd: f.count > 1 ? f[1] : "", group: f.count > 2 ? f[2] : "")
    if let user { check(!user.home.isEmpty, "empty HOME") }
}
