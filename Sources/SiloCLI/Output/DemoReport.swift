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

enum DemoReport {
    static let labelWidth = 28

    static func verdictText(_ v: DemoSection.Verdict, _ style: TextStyle) -> String {
        switch v {
        case .isolated: return style.paint(v.rawValue, "1;32")
        case .notIsolated: return style.paint(v.rawValue, "1;33")
        case .failed: return style.paint(v.rawValue, "1;31")
        }
    }

    static func text(_ s: DemoSection, _ style: TextStyle) -> String {
        let w = style.width
        let colWidth = (w - 3 - labelWidth - 2) / 2
        var out = "\n"
        let title = "\(s.about.title) (\(s.about.kind))"
        out += style.heading("== " + title + " " + String(repeating: "=", count: max(2, w - title.count - 4))) + "\n"
        out += "   " + style.bold(s.about.cloneFlag) + ", Linux \(s.about.since)" + (s.shared ? style.paint("   --share \(s.about.kind): the container stays in the host's namespace", "33") : "") + "\n"
        out += TextStyle.wrap(s.about.text, w - 3, indent: "   ")
        out += "\n"
        out += "   " + TextStyle.pad("", labelWidth) + style.bold(TextStyle.pad("host", colWidth)) + "  " + style.bold("container") + "\n"
        for r in s.rows {
            let h = r.host ?? ["-"], c = r.container ?? ["-"]
            let n = max(h.count, c.count, 1)
            for i in 0..<n {
                let label = i == 0 ? TextStyle.fit(r.label, labelWidth - 1) : ""
                let left = i < h.count ? TextStyle.fit(h[i], colWidth) : ""
                let right = i < c.count ? TextStyle.fit(c[i], colWidth) : ""
                out += "   " + style.dim(TextStyle.pad(label, labelWidth)) + TextStyle.pad(left, colWidth) + "  " + right + "\n"
            }
        }
        for note in s.notes {
            out += "\n   * " + TextStyle.wrap(note, w - 5, indent: "     ").dropFirst(5)
        }
        out += "\n"
        out += TextStyle.wrap("=> " + s.verdict.rawValue + ": " + s.reason, w - 3, indent: "   ")
            .replacingFirst(s.verdict.rawValue, with: verdictText(s.verdict, style))
        return out
    }

    static func summary(_ sections: [DemoSection], _ style: TextStyle) -> String {
        var out = "\n" + style.heading("== Summary " + String(repeating: "=", count: max(2, style.width - 12))) + "\n"
        for s in sections {
            out += "   " + TextStyle.pad(s.about.kind, 8) + TextStyle.pad(s.about.cloneFlag, 17) + verdictText(s.verdict, style) + "\n"
        }
        let bad = sections.filter { $0.verdict != .isolated }.map(\.about.kind)
        out += "\n"
        out += bad.isEmpty
            ? "   Every namespace shown is isolated on this host.\n"
            : "   Not isolated here: \(bad.joined(separator: ", ")).\n"
        return out
    }
}

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let r = range(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(r, with: replacement)
        return copy
    }

    /// The first range of `other` in `self` (no Foundation).
    fileprivate func range(of other: String) -> Range<String.Index>? {
        guard !other.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(other) { return i..<(index(i, offsetBy: other.count)) }
            i = index(after: i)
        }
        return nil
    }
}
