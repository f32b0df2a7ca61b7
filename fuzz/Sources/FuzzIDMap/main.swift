import FuzzSupport
import SiloKit

// `--uid-map` / `--gid-map` lines (a line starting with `g` is a gid map), their validation and
// the lookups silo makes with them; and the whole input as /etc/subuid and /etc/login.defs,
// from which silo derives the host id range and its slots.
fuzz { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    var uids: [IDMapping] = [], gids: [IDMapping] = []
    for line in text.split(separator: "\n") {
        let isGid = line.hasPrefix("g")
        guard let m = try? IDMapping(parsing: String(isGid ? line.dropFirst() : line)) else { continue }
        if isGid { gids.append(m) } else { uids.append(m) }
    }
    let map = IDMap(uids: uids, gids: gids)
    if (try? map.validate()) != nil {
        _ = IDMap.render(uids) + IDMap.render(gids)
        for m in uids + gids {
            for id in [m.container, m.container &+ m.size &- 1, 0, UInt32.max] {
                _ = IDMap.host(for: id, in: uids)
                _ = IDMap.host(for: id, in: gids)
            }
        }
    }
    for range in [HostIDRange.fromSubordinateFile(text), HostIDRange.aboveLoginDefs(text)] {
        guard let range else { continue }
        for slot in Set([0, range.slots - 1]) { _ = range.mapping(slot: slot) }
    }
}
