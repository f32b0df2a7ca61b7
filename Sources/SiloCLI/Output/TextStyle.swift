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

    /// Columns a terminal gives `c`: two for East Asian wide characters (CJK, fullwidth forms),
    /// none for combining marks, one otherwise.
    static func columns(_ c: Character) -> Int {
        guard let v = c.unicodeScalars.first?.value else { return 0 }
        switch v {
        case 0x0300...0x036F, 0x200B...0x200F: return 0
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD: return 2
        default: return 1
        }
    }

    static func columns(_ s: String) -> Int { s.reduce(0) { $0 + columns($1) } }

    /// `s` cut to `n` columns, with an ellipsis when something was cut.
    static func fit(_ s: String, _ n: Int) -> String {
        if columns(s) <= n { return s }
        var out = "", used = 0
        for c in s {
            if used + columns(c) > n - 1 { break }
            out.append(c)
            used += columns(c)
        }
        return out + "…"
    }

    static func pad(_ s: String, _ n: Int) -> String {
        let w = columns(s)
        return w >= n ? s : s + String(repeating: " ", count: n - w)
    }

    static let closingMarks: Set<Character> = ["，", "。", "、", "；", "：", "）", "」", "』", "！", "？", "…", ")"]
    static let openingMarks: Set<Character> = ["（", "「", "『"]

    /// `text` in lines of at most `n` columns, broken at spaces, next to wide (CJK) characters,
    /// or, for a word longer than a line, anywhere: nothing is cut.
    static func lines(_ text: String, _ n: Int) -> [String] {
        var lines: [String] = []
        var cur = "", curWidth = 0
        // Words: runs of narrow characters without spaces; each wide character alone (a line
        // may break before or after it); `glued` when no space separated it from the last one.
        var words: [(text: String, glued: Bool)] = []
        var word = "", wordGlued = false, pendingSpace = false
        func flush() {
            if !word.isEmpty { words.append((word, wordGlued)) }
            word = ""
        }
        for c in text {
            if c == " " {
                flush()
                pendingSpace = true
            } else if columns(c) == 2 {
                flush()
                words.append((String(c), !pendingSpace))
                pendingSpace = false
            } else {
                if word.isEmpty { wordGlued = !pendingSpace }
                word.append(c)
                pendingSpace = false
            }
        }
        flush()
        for (w, glued) in words {
            let sep = cur.isEmpty || glued ? "" : " "
            if !cur.isEmpty && curWidth + columns(sep) + columns(w) > n {
                // Chinese typesetting: no line starts with a closing mark (，。）…) nor ends
                // with an opening one (（「): the character before goes down with it.
                var carry = ""
                if let last = cur.last, cur.count > 1,
                   (glued && w.first.map(closingMarks.contains) == true) || openingMarks.contains(last) {
                    carry = String(last)
                    cur.removeLast()
                }
                lines.append(cur)
                cur = carry
                curWidth = columns(carry)
            }
            let s2 = cur.isEmpty || glued ? "" : " "
            cur += s2
            curWidth += columns(s2)
            // A word wider than a line goes on where the line ends.
            for c in w {
                if curWidth + columns(c) > n && !cur.isEmpty {
                    lines.append(cur)
                    cur = ""
                    curWidth = 0
                }
                cur.append(c)
                curWidth += columns(c)
            }
        }
        if !cur.isEmpty { lines.append(cur) }
        return lines
    }

    /// Words of `text` in lines of at most `n` columns, each prefixed by `indent`.
    static func wrap(_ text: String, _ n: Int, indent: String) -> String {
        lines(text, n).map { indent + $0 + "\n" }.joined()
    }
}
