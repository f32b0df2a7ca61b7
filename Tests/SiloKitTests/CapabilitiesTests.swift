import Testing

@testable import SiloKit

@Suite struct CapabilitiesTests {
    @Test(arguments: ["NET_ADMIN", "net_admin", "CAP_NET_ADMIN", "cap_net_admin", "Cap_Net_Admin"])
    func spellings(_ s: String) {
        #expect(Capabilities.number(s) == 12)
    }

    @Test func unknownNameIsAnError() {
        #expect(Capabilities.number("NET_ADMINN") == nil)
        #expect(Capabilities.number("") == nil)
        #expect(Capabilities.number("CAP_") == nil)
        do {
            _ = try Capabilities.resolve(add: ["NET_ADMINN"], drop: [], lastCap: 40)
            Issue.record("no error")
        } catch {
            #expect(error.message == "cap-add NET_ADMINN: unknown capability (expected a name such as NET_ADMIN, cap_net_admin or ALL)")
            #expect([.usage, .runtime].contains(error.code))
        }
        #expect(throws: RuntimeError.self) { try Capabilities.resolve(add: [], drop: ["sys_admn"], lastCap: 40) }
    }

    @Test func namesMatchTheKernelNumbers() {
        #expect(Capabilities.names.count == 41)
        #expect(Capabilities.number("CHOWN") == 0)
        #expect(Capabilities.number("SYS_ADMIN") == 21)
        #expect(Capabilities.number("SYS_RESOURCE") == 24)
        #expect(Capabilities.number("MKNOD") == 27)
        #expect(Capabilities.number("AUDIT_READ") == 37)
        #expect(Capabilities.number("CHECKPOINT_RESTORE") == 40)
    }

    @Test func defaultIsDockers14() throws {
        #expect(Capabilities.dockerDefault.count == 14)
        #expect(Capabilities.defaultMask == 0x0000_0000_a804_25fb)
        #expect(try Capabilities.resolve(add: [], drop: [], lastCap: 40) == 0xa804_25fb)
    }

    @Test func addAndDrop() throws {
        let d: UInt64 = 0xa804_25fb
        #expect(try Capabilities.resolve(add: ["NET_ADMIN"], drop: [], lastCap: 40) == d | 1 << 12)
        #expect(try Capabilities.resolve(add: [], drop: ["cap_mknod", "NET_RAW"], lastCap: 40) == d & ~(1 << 27 | 1 << 13))
        // An add wins over a drop of the same name, as in Docker.
        #expect(try Capabilities.resolve(add: ["MKNOD"], drop: ["MKNOD"], lastCap: 40) == d)
        // A name that is not in the set is no error to drop.
        #expect(try Capabilities.resolve(add: [], drop: ["SYS_ADMIN"], lastCap: 40) == d)
    }

    @Test func all() throws {
        #expect(try Capabilities.resolve(add: ["ALL"], drop: [], lastCap: 40) == 0x1ff_ffff_ffff)
        #expect(try Capabilities.resolve(add: ["all"], drop: ["MKNOD"], lastCap: 40) == 0x1ff_ffff_ffff & ~(1 << 27))
        #expect(try Capabilities.resolve(add: ["ALL"], drop: [], lastCap: 37) == 0x3f_ffff_ffff)
        #expect(try Capabilities.resolve(add: [], drop: ["ALL"], lastCap: 40) == 0)
        #expect(try Capabilities.resolve(add: ["NET_BIND_SERVICE"], drop: ["ALL"], lastCap: 40) == 1 << 10)
    }

    @Test func capabilityNewerThanTheKernel() {
        do {
            _ = try Capabilities.resolve(add: ["CHECKPOINT_RESTORE"], drop: [], lastCap: 39)
            Issue.record("no error")
        } catch {
            #expect(error.message == "cap-add CHECKPOINT_RESTORE: CAP_CHECKPOINT_RESTORE is not supported by this kernel (cap_last_cap is 39)")
        }
    }

    @Test func setsForRootAndOthers() {
        let root = Capabilities.state(0xa804_25fb, uid: 0, lastCap: 40)
        #expect(root == CapabilityState(bounding: 0xa804_25fb, effective: 0xa804_25fb, permitted: 0xa804_25fb, inheritable: 0, lastCap: 40))
        let user = Capabilities.state(0xa804_25fb, uid: 1000, lastCap: 40)
        #expect(user == CapabilityState(bounding: 0xa804_25fb, effective: 0, permitted: 0, inheritable: 0, lastCap: 40))
    }

    @Test func namesOfAMask() {
        #expect(Capabilities.names(in: 1 << 12 | 1) == ["CAP_CHOWN", "CAP_NET_ADMIN"])
    }
}
