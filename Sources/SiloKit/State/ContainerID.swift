#if canImport(Glibc)
import Glibc
#endif
import SiloSys

public enum ContainerID {
    /// 12 random hex digits, as docker's short ids.
    public static func random() -> String {
        let bytes = Random.bytes(6)
        let hex = Array("0123456789abcdef")
        return String(bytes.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] })
    }
}
