#if canImport(Glibc)
import Glibc
#endif
import SiloDemo
import SiloSys

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
            out += "   " + TextStyle.pad(s.about.kind.rawValue, 8) + TextStyle.pad(s.about.cloneFlag, 17) + verdictText(s.verdict, style) + "\n"
        }
        let bad = sections.filter { $0.verdict != .isolated }.map(\.about.kind.rawValue)
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
