import FuzzSupport
import SiloCLI
import SiloKit

// The command lines: the input cut at NUL bytes is the argument vector; its first byte picks
// the command. For `run`, everything silo derives from the options before it touches the
// system (limits, capabilities, shared namespaces, id maps) runs too.
fuzz { bytes in
    guard let first = bytes.first else { return }
    let args = fields(Array(bytes.dropFirst()))
    switch first % 3 {
    case 0:
        guard let c = try? RunCommand.parse(args, environment: { $0 == "SILO_ROOTFS" ? "/fuzz" : nil }) ?? nil else { return }
        check(!c.argv.isEmpty, "run: parsed without a command")
        _ = try? Rlimits.plan(c.ulimits) { _ in (1024, 4096) }
        if let mask = try? Capabilities.resolve(add: c.capAdd, drop: c.capDrop, lastCap: 40) {
            _ = Capabilities.names(in: mask)
            _ = Capabilities.state(mask, uid: 0, lastCap: 40)
        }
        _ = try? SharePlan(c.share).validate(c)
        if !c.uidMaps.isEmpty || !c.gidMaps.isEmpty { _ = try? IDMap(uids: c.uidMaps, gids: c.gidMaps).validate() }
    case 1:
        _ = try? NsCommand.parser.parse(args)
    default:
        _ = try? DemoCommand.parser.parse(args)
    }
}
