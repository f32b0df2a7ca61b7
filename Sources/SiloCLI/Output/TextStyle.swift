#if canImport(Glibc)
import Glibc
#endif
import SiloDemo
import SiloSys

/// How `silo demo` and `silo ns` print: colour only on a terminal and without NO_COLOR
/// (https://no-color.org), the terminal's width or 100 columns when piped.
struct TextStyle {
    var color: Bool
    var width: Int

    static func forStdout() -> TextStyle {
        let tty = Terminal.isTerminal(1)
        let noColor = ProcessEnvironment.value("NO_COLOR").map { !$0.isEmpty } ?? false
        var width = 100
        if tty {
            if let c = Terminal.columns(of: 1) { width = c }
        } else if let c = ProcessEnvironment.value("COLUMNS").flatMap({ Int($0) }) {
            width = c
        }
        return TextStyle(color: tty && !noColor, width: max(72, min(width, 180)))
    }

    func paint(_ s: String, _ sgr: String) -> String { color ? "\u{1B}[\(sgr)m\(s)\u{1B}[0m" : s }
    func bold(_ s: String) -> String { paint(s, "1") }
    func dim(_ s: String) -> String { paint(s, "2") }
    func heading(_ s: String) -> String { paint(s, "1;36") }

    /// `s` cut to `n` columns, with an ellipsis when something was cut.
    static func fit(_ s: String, _ n: Int) -> String {
        if s.count <= n { return s }
        return String(s.prefix(max(0, n - 1))) + "…"
    }

    static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
    }

    /// Words of `text` in lines of at most `n` columns, each prefixed by `indent`.
    static func wrap(_ text: String, _ n: Int, indent: String) -> String {
        var lines: [String] = []
        var cur = ""
        for word in text.split(separator: " ") {
            if !cur.isEmpty && cur.count + 1 + word.count > n {
                lines.append(cur)
                cur = ""
            }
            cur += (cur.isEmpty ? "" : " ") + word
        }
        if !cur.isEmpty { lines.append(cur) }
        return lines.map { indent + $0 + "\n" }.joined()
    }
}
