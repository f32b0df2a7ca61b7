#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// rtnetlink numbers (linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h, linux/netlink.h).
public enum RT {
    public static let newLink: UInt16 = 16, delLink: UInt16 = 17, getLink: UInt16 = 18
    public static let newAddr: UInt16 = 20, getAddr: UInt16 = 22
    public static let newRoute: UInt16 = 24
    public static let newNSID: UInt16 = 88, getNSID: UInt16 = 90

    public static let request: UInt16 = 0x1, ack: UInt16 = 0x4, dump: UInt16 = 0x300
    public static let excl: UInt16 = 0x200, create: UInt16 = 0x400

    public static let msgError: UInt16 = 2, msgDone: UInt16 = 3

    public static let iflaAddress: UInt16 = 1, iflaIfname: UInt16 = 3, iflaMaster: UInt16 = 10
    public static let iflaLinkinfo: UInt16 = 18, iflaNetNSPid: UInt16 = 19, iflaIfalias: UInt16 = 20, iflaGroup: UInt16 = 27
    public static let iflaNetNSFD: UInt16 = 28, iflaExtMask: UInt16 = 29
    public static let infoKind: UInt16 = 1, infoData: UInt16 = 2, vethInfoPeer: UInt16 = 1

    public static let ifaAddress: UInt16 = 1, ifaLocal: UInt16 = 2
    public static let ifaFNoDAD: UInt8 = 0x02

    public static let rtaDst: UInt16 = 1, rtaOif: UInt16 = 4, rtaGateway: UInt16 = 5
    public static let tableMain: UInt8 = 254, protoBoot: UInt8 = 3, protoStatic: UInt8 = 4
    public static let scopeUniverse: UInt8 = 0, scopeLink: UInt8 = 253, typeUnicast: UInt8 = 1

    public static let netnsaNSID: UInt16 = 1, netnsaFD: UInt16 = 3

    public static let iffUp: UInt32 = 1
}
