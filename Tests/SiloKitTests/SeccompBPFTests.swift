import SiloSys
import Testing

@testable import SiloKit

/// Runs the shipped default filter the way the kernel does (classic BPF over struct
/// seccomp_data), so the tests check verdicts rather than how libseccomp lays out its tree.
@Suite struct SeccompBPFTests {
    /// A classic BPF interpreter for seccomp programs (linux/filter.h, net/core/filter.c).
    struct Machine {
        let program: [(code: UInt16, jt: UInt8, jf: UInt8, k: UInt32)]

        init(_ bytes: [UInt8]) {
            var p: [(UInt16, UInt8, UInt8, UInt32)] = []
            var i = 0
            while i + 8 <= bytes.count {
                let code = UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8
                let k = UInt32(bytes[i + 4]) | UInt32(bytes[i + 5]) << 8 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 24
                p.append((code, bytes[i + 2], bytes[i + 3], k))
                i += 8
            }
            program = p
        }

        /// struct seccomp_data: nr, arch, instruction_pointer, args[6], little-endian.
        static func data(nr: Int32, arch: UInt32, args: [UInt64]) -> [UInt8] {
            var d: [UInt8] = []
            func put32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { d.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
            func put64(_ v: UInt64) { put32(UInt32(truncatingIfNeeded: v)); put32(UInt32(truncatingIfNeeded: v >> 32)) }
            put32(UInt32(bitPattern: nr))
            put32(arch)
            put64(0x4000_1000)
            for j in 0..<6 { put64(j < args.count ? args[j] : 0) }
            return d
        }

        func run(nr: Int32, arch: UInt32 = 0xC000_003E /* AUDIT_ARCH_X86_64 */, args: [UInt64] = []) -> UInt32? {
            let data = Self.data(nr: nr, arch: arch, args: args)
            var a: UInt32 = 0, x: UInt32 = 0
            var mem = [UInt32](repeating: 0, count: 16)
            var pc = 0
            var steps = 0
            func word(_ off: UInt32) -> UInt32? {
                let o = Int(off)
                guard o + 4 <= data.count else { return nil }
                return UInt32(data[o]) | UInt32(data[o + 1]) << 8 | UInt32(data[o + 2]) << 16 | UInt32(data[o + 3]) << 24
            }
            while pc < program.count, steps < 100_000 {
                steps += 1
                let (code, jt, jf, k) = program[pc]
                pc += 1
                let src: UInt32 = code & 0x08 != 0 ? x : k  // BPF_X : BPF_K
                switch code & 0x07 {
                case 0x00:  // BPF_LD
                    switch code & 0xe0 {
                    case 0x20: guard let w = word(k) else { return nil }; a = w  // ABS
                    case 0x00: a = k  // IMM
                    case 0x60: a = mem[Int(k & 15)]  // MEM
                    default: return nil
                    }
                case 0x01:  // BPF_LDX
                    switch code & 0xe0 {
                    case 0x00: x = k
                    case 0x60: x = mem[Int(k & 15)]
                    default: return nil
                    }
                case 0x02: mem[Int(k & 15)] = a  // BPF_ST
                case 0x03: mem[Int(k & 15)] = x  // BPF_STX
                case 0x04:  // BPF_ALU
                    switch code & 0xf0 {
                    case 0x00: a = a &+ src
                    case 0x10: a = a &- src
                    case 0x20: a = a &* src
                    case 0x30: guard src != 0 else { return 0 }; a /= src
                    case 0x40: a |= src
                    case 0x50: a &= src
                    case 0x60: a = src >= 32 ? 0 : a << src
                    case 0x70: a = src >= 32 ? 0 : a >> src
                    case 0x80: a = 0 &- a
                    case 0x90: guard src != 0 else { return 0 }; a %= src
                    case 0xa0: a ^= src
                    default: return nil
                    }
                case 0x05:  // BPF_JMP
                    let taken: Bool
                    switch code & 0xf0 {
                    case 0x00: pc += Int(k); continue  // JA
                    case 0x10: taken = a == src
                    case 0x20: taken = a > src
                    case 0x30: taken = a >= src
                    case 0x40: taken = a & src != 0
                    default: return nil
                    }
                    pc += Int(taken ? jt : jf)
                case 0x06: return code & 0x18 == 0x10 ? a : k  // BPF_RET (A or K)
                case 0x07: if code & 0xf8 == 0x00 { x = a } else { a = x }  // TAX / TXA
                default: return nil
                }
            }
            return nil
        }
    }

    static let allow: UInt32 = 0x7fff_0000
    static let eperm: UInt32 = 0x0005_0001
    static let enosys: UInt32 = 0x0005_0026
    static let killProcess: UInt32 = 0x8000_0000

    let vm: Machine

    init() throws {
        vm = Machine(try DefaultSeccompProfile.bpf())
    }

    @Test func plainVerdicts() {
        #expect(vm.run(nr: 0) == Self.allow)  // read
        #expect(vm.run(nr: 1) == Self.allow)  // write
        #expect(vm.run(nr: 59) == Self.allow)  // execve
        #expect(vm.run(nr: 126) == Self.allow)  // capset
        #expect(vm.run(nr: 161) == Self.allow)  // chroot: the kernel checks CAP_SYS_CHROOT
        #expect(vm.run(nr: 250) == Self.eperm)  // keyctl
        #expect(vm.run(nr: 248) == Self.eperm)  // add_key
        #expect(vm.run(nr: 165) == Self.eperm)  // mount
        #expect(vm.run(nr: 321) == Self.eperm)  // bpf
        #expect(vm.run(nr: 425) == Self.eperm)  // io_uring_setup
        #expect(vm.run(nr: 308) == Self.eperm)  // setns
        #expect(vm.run(nr: 435) == Self.enosys)  // clone3: glibc falls back to clone
        #expect(vm.run(nr: 457) == Self.enosys)  // statmount: newer than libseccomp 2.5.4
        #expect(vm.run(nr: 469) == Self.enosys)  // file_setattr
        #expect(vm.run(nr: 470) == Self.enosys)  // past the 6.18 table
        #expect(vm.run(nr: 1000) == Self.enosys)
    }

    @Test func otherArchitecturesAreKilled() {
        #expect(vm.run(nr: 0, arch: 0x4000_0003 /* AUDIT_ARCH_I386 */) == Self.killProcess)
        // x32: the x86_64 arch token with the X32 bit in the number.
        #expect(vm.run(nr: 0x4000_0000 | 0) == Self.killProcess)
        #expect(vm.run(nr: 0x4000_0000 | 250) == Self.killProcess)
    }

    @Test func ioctlRefusesTerminalInjectionOnTheLow32Bits() {
        for high: UInt64 in [0, 1 << 32, 0xffff_ffff_0000_0000] {
            #expect(vm.run(nr: 16, args: [0, high | 0x5412]) == Self.eperm, "TIOCSTI \(high)")
            #expect(vm.run(nr: 16, args: [0, high | 0x541C]) == Self.eperm, "TIOCLINUX \(high)")
            #expect(vm.run(nr: 16, args: [0, high | 0x5401]) == Self.allow, "TCGETS \(high)")
            #expect(vm.run(nr: 16, args: [0, high | 0x5413]) == Self.allow, "TIOCGWINSZ \(high)")
            #expect(vm.run(nr: 16, args: [0, high | 0x8004_5430]) == Self.allow, "TIOCGPTN \(high)")
        }
    }

    @Test func socketRefusesAlgAndVsockOnTheLow32Bits() {
        for high: UInt64 in [0, 1 << 32, 0xffff_ffff_0000_0000] {
            #expect(vm.run(nr: 41, args: [high | 40, 1, 0]) == Self.eperm, "AF_VSOCK \(high)")
            #expect(vm.run(nr: 41, args: [high | 38, 5, 0]) == Self.eperm, "AF_ALG \(high)")
            for family: UInt64 in [1, 2, 10, 16, 17, 39, 41, 44] {
                #expect(vm.run(nr: 41, args: [high | family, 1, 0]) == Self.allow, "family \(family) \(high)")
            }
        }
    }

    @Test func noNamespacesThroughCloneOrUnshare() {
        #expect(vm.run(nr: 56, args: [0x11]) == Self.allow)  // fork-like clone: SIGCHLD
        #expect(vm.run(nr: 56, args: [0x003D_0F00]) == Self.allow)  // pthread_create
        #expect(vm.run(nr: 56, args: [0x1000_0011]) == Self.eperm)  // CLONE_NEWUSER
        #expect(vm.run(nr: 56, args: [0x4000_0011]) == Self.eperm)  // CLONE_NEWNET
        #expect(vm.run(nr: 56, args: [0x0002_0011]) == Self.eperm)  // CLONE_NEWNS
        #expect(vm.run(nr: 272, args: [0x200]) == Self.allow)  // unshare(CLONE_FS)
        #expect(vm.run(nr: 272, args: [0x400 | 0x0004_0000]) == Self.allow)  // CLONE_FILES|CLONE_SYSVSEM
        #expect(vm.run(nr: 272, args: [0x0800_0000]) == Self.eperm)  // CLONE_NEWIPC
        #expect(vm.run(nr: 272, args: [0x1000_0000]) == Self.eperm)  // CLONE_NEWUSER
        #expect(vm.run(nr: 272, args: [0x80]) == Self.eperm)  // CLONE_NEWTIME
        #expect(vm.run(nr: 272, args: [0x2000_0000]) == Self.eperm)  // CLONE_NEWPID
    }

    @Test func personalityAllowsDockersValuesOnly() {
        for p: UInt64 in [0, 8, 0x20000, 0x20008, 0xffff_ffff, 1 << 32] {
            #expect(vm.run(nr: 135, args: [p]) == Self.allow, "\(p)")
        }
        for p: UInt64 in [0x0040_0000 /* READ_IMPLIES_EXEC */, 0x0004_0000 /* ADDR_NO_RANDOMIZE */, 1, 0xffff_fffe] {
            #expect(vm.run(nr: 135, args: [p]) == Self.eperm, "\(p)")
        }
    }
}
