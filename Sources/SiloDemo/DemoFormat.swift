#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// Short readable forms for the tables.
enum DemoFormat {
    /// "12345.67 s (3 h 25 min)"
    static func seconds(_ ns: Int64) -> String {
        let s = Double(ns) / 1e9
        let whole = Int64(s)
        let days = whole / 86400, hours = (whole % 86400) / 3600, mins = (whole % 3600) / 60
        var human = days > 0 ? "\(days) d \(hours) h" : (hours > 0 ? "\(hours) h \(mins) min" : "\(mins) min \(whole % 60) s")
        if whole < 60 { human = "\(whole) s" }
        return "\(fixed(s, 2)) s (\(human))"
    }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int64((abs(v) * scale).rounded())
        let int = n / Int64(scale), frac = n % Int64(scale)
        var f = String(frac)
        while f.count < digits { f = "0" + f }
        return (v < 0 ? "-" : "") + "\(int)" + (digits > 0 ? ".\(f)" : "")
    }

    /// The first `first` and last `last` lines, with "… N more" between them.
    static func ends(_ lines: [String], first: Int, last: Int) -> [String] {
        lines.count <= first + last + 1 ? lines : Array(lines.prefix(first)) + ["… \(lines.count - first - last) more"] + Array(lines.suffix(last))
    }

    /// At most `max` lines, then "… N more".
    static func head(_ lines: [String], _ max: Int) -> [String] {
        lines.count <= max ? lines : Array(lines.prefix(max)) + ["… \(lines.count - max) more"]
    }
}
