#if canImport(Glibc)
import Glibc
#endif
import SiloDemo
import SiloSys

/// `silo demo`'s text: one section at a time, two columns (host, container), in the demo's
/// language. Cells are wrapped, never cut; only long lists are shortened, with a count.
enum DemoReport {
    static let labelWidth = 30

    static func verdictText(_ v: DemoSection.Verdict, _ l: DemoLanguage, _ style: TextStyle) -> String {
        switch v {
        case .isolated: return style.paint(v.text(l), "1;32")
        case .notIsolated: return style.paint(v.text(l), "1;33")
        case .failed: return style.paint(v.text(l), "1;31")
        }
    }

    /// A cell's lines for a column `width` wide: at most `limit` of them, then a count.
    static func cell(_ v: DemoValue?, width: Int, _ l: DemoLanguage) -> [String] {
        guard let v else { return ["-"] }
        var lines = v.lines
        if let limit = v.limit, lines.count > limit + 1 {
            let more = lines.count - limit
            lines = Array(lines.prefix(limit)) + [l.t("… \(more) more (all of them in --json)", "… 另有 \(more) 项（--json 里有全部）")]
        }
        return lines.flatMap { $0.isEmpty ? [""] : TextStyle.lines($0, width) }
    }

    static func text(_ s: DemoSection, _ style: TextStyle, step: Bool = false) -> String {
        let l = s.lang
        let w = style.width
        let colWidth = (w - 3 - labelWidth - 2) / 2
        var out = "\n"
        let title = "\(s.about.title) (\(s.about.kind))"
        out += style.heading("== " + title + " " + String(repeating: "=", count: max(2, w - TextStyle.columns(title) - 4))) + "\n"
        out += "   " + style.bold(s.about.cloneFlag) + ", Linux \(s.about.since)\n"
        if s.shared {
            out += TextStyle.lines(l.t("--share \(s.about.kind): the container stays in the host's namespace", "--share \(s.about.kind)：容器留在主机的命名空间里"), w - 3)
                .map { "   " + style.paint($0, "33") + "\n" }.joined()
        }
        out += TextStyle.wrap(s.about.text, w - 3, indent: "   ")
        out += "\n"
        out += "   " + TextStyle.pad("", labelWidth) + style.bold(TextStyle.pad(l.t("host", "主机"), colWidth)) + "  " + style.bold(l.t("container", "容器")) + "\n"
        for r in s.rows {
            let h = r.host == nil && r.container != nil ? [""] : cell(r.host, width: colWidth, l)
            let c = cell(r.container, width: colWidth, l)
            let labels = TextStyle.lines(r.label, labelWidth - 1)
            let n = max(h.count, c.count, labels.count, 1)
            for i in 0..<n {
                let label = i < labels.count ? labels[i] : ""
                let left = i < h.count ? h[i] : ""
                let right = i < c.count ? c[i] : ""
                out += "   " + style.dim(TextStyle.pad(label, labelWidth)) + TextStyle.pad(left, colWidth) + "  " + right + "\n"
            }
        }
        for note in s.notes {
            out += "\n   * " + TextStyle.wrap(note, w - 5, indent: "     ").dropFirst(5)
        }
        if step {
            out += "\n   " + style.bold(l.t("The script the container ran (busybox sh):", "容器里跑的脚本（busybox sh）：")) + "\n"
            out += scriptLines(s.script, l).map { "     " + $0 + "\n" }.joined()
            out += "\n   " + style.bold(l.t("The namespace system calls silo made for it:", "silo 为它做的命名空间系统调用：")) + "\n"
            for call in s.syscalls {
                // "call  what it does"
                let parts = call.split(separator: "  ", maxSplits: 1).map(String.init)
                out += "     " + parts[0] + "\n"
                if parts.count > 1 { out += TextStyle.lines(parts[1], w - 7).map { "       " + style.dim($0) + "\n" }.joined() }
            }
        }
        out += "\n"
        out += TextStyle.wrap("=> " + s.verdict.text(l) + l.t(": ", "：") + s.reason, w - 3, indent: "   ")
            .replacingFirst(s.verdict.text(l), with: verdictText(s.verdict, l, style))
        if !s.why.isEmpty {
            out += TextStyle.wrap(l.t("Why: ", "原因：") + s.why, w - 3, indent: "   ")
        }
        if s.kept, let pid = s.containerPID {
            out += "\n" + TextStyle.wrap(l.t("Kept: the container runs on as PID \(pid) (its launcher, silo, is PID \(s.launcherPID ?? 0)).",
                                              "已保留：容器仍在运行，PID \(pid)（它的启动器 silo 是 PID \(s.launcherPID ?? 0)）。"), w - 3, indent: "   ")
            out += "   " + l.t("Enter it:  ", "进去看看：") + DemoSection.enterCommand(pid) + "\n"
            out += "   " + l.t("Remove it: ", "删除它：  ") + DemoSection.removeCommand(pid)
                + l.t("   (silo then removes its mounts and cgroup and exits)", "   （之后 silo 会清掉它的挂载和 cgroup，然后退出）") + "\n"
        }
        return out
    }

    /// The script as a reader would type it: without the demo's block markers, and the pause
    /// for the host's measurements said in words.
    static func scriptLines(_ script: String, _ l: DemoLanguage) -> [String] {
        script.split(separator: "\n").compactMap { line in
            if line.hasPrefix("echo @@") || line == "exec 2>&1" { return nil }
            if line == "read -r _ || true" { return l.t("# (waits here while silo measures the host's side)", "# （在这里等 silo 量完主机这边）") }
            return String(line)
        }
    }

    static func summary(_ sections: [DemoSection], _ style: TextStyle) -> String {
        let l = sections.first?.lang ?? .en
        let title = l.t("Summary", "总结")
        var out = "\n" + style.heading("== \(title) " + String(repeating: "=", count: max(2, style.width - TextStyle.columns(title) - 4))) + "\n"
        for s in sections {
            out += "   " + TextStyle.pad(s.about.kind.rawValue, 8) + TextStyle.pad(s.about.cloneFlag, 17) + verdictText(s.verdict, l, style) + "\n"
        }
        let bad = sections.filter { $0.verdict != .isolated }.map(\.about.kind.rawValue)
        out += "\n"
        out += bad.isEmpty
            ? l.t("   Every namespace shown is isolated on this host.\n", "   这台主机上展示的每个命名空间都是隔离的。\n")
            : l.t("   Not isolated here: \(bad.joined(separator: ", ")).\n", "   这里没有隔离的：\(bad.joined(separator: ", "))。\n")
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
