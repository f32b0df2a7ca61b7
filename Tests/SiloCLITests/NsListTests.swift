import Foundation
import Testing
@testable import SiloCLI
import SiloKit

/// `silo ns` without PID: the lsns-like columns and the JSON, from a listing built by hand.
@Suite struct NsListTests {
    let listing = NamespaceList.Listing(entries: [
        .init(kind: "net", inode: 4026531833, processes: [1, 2, 3], nsfs: []),
        .init(kind: "net", inode: 4026532316, processes: [], nsfs: ["/run/netns/blue"]),
    ], unreadable: [])

    @Test func textHasLsnsColumns() {
        let text = NsCommand.text(listing, .en)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0].split(separator: " ") == ["NS", "TYPE", "NPROCS", "PID", "USER", "NSFS", "COMMAND"])
        #expect(lines[1].split(separator: " ").prefix(4) == ["4026531833", "net", "3", "1"])
        // A namespace only a name holds: no process, its bind mount in NSFS.
        #expect(lines[2].split(separator: " ") == ["4026532316", "net", "0", "/run/netns/blue"])
    }

    @Test func jsonHasNumbers() throws {
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(NsCommand.json(listing).encoded().utf8)) as? [String: Any])
        let ns = try #require(doc["namespaces"] as? [[String: Any]])
        #expect(ns[0]["inode"] as? Int == 4026531833)
        #expect(ns[0]["nprocs"] as? Int == 3)
        #expect(ns[0]["pid"] as? Int == 1)
        #expect(ns[0]["processes"] as? [Int] == [1, 2, 3])
        #expect(ns[1]["pid"] is NSNull)
        #expect(ns[1]["nsfs"] as? [String] == ["/run/netns/blue"])
    }
}
