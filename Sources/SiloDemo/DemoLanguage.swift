import SiloSys

/// The language of the demo's own words (English, or Chinese under a zh locale). Measured
/// values (names, numbers, paths, what the container printed) are never translated.
public enum DemoLanguage: String, Sendable {
    case en, zh

    /// POSIX precedence: LC_ALL, then LC_MESSAGES, then LANG; the first one set decides.
    public static func fromEnvironment(_ value: (String) -> String? = ProcessEnvironment.value) -> DemoLanguage {
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            guard let v = value(name), !v.isEmpty else { continue }
            return v.hasPrefix("zh") ? .zh : .en
        }
        return .en
    }

    /// `en` in English, `zh` in Chinese.
    public func t(_ en: String, _ zh: String) -> String { self == .zh ? zh : en }
}
