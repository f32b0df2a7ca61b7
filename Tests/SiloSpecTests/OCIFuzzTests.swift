import Testing
@testable import SiloSpec

/// SplitMix64: small, fast and the same on every run, so a failure can be replayed by seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Garbled and type-confused configs must be refused with an error, never crash the parser,
/// and every error must name config.json (and a path, unless the JSON itself is broken).
@Suite struct OCIFuzzTests {
    static let seeds: [String] = [Fixtures.runcSpec, Fixtures.runcSpecRootless, Fixtures.crunSpec, Fixtures.podman, OCIDefaultsTests.kitchenSink]

    /// Parses; returns whether it was accepted. An error must be an OCIError for config.json.
    static func check(_ bytes: [UInt8]) -> Bool {
        var warnings: [OCIError] = []
        do {
            let spec = try OCISpec.parse(bytes, warnings: &warnings)
            // Whatever was accepted must also survive a write and a re-read unchanged.
            let again = try OCISpec.parse(spec.json.encodedBytes(), warnings: &warnings)
            #expect(again == spec)
            return true
        } catch {
            #expect(error.file == "config.json")
            #expect(!error.reason.isEmpty)
            #expect(error.description.hasPrefix("config.json: "))
            return false
        }
    }

    @Test func byteMutations() {
        var rng = SeededGenerator(seed: 0x5113_0C1)
        let interesting: [UInt8] = Array("{}[]\",:0-1.e\\u\0 \ntrufalsn".utf8) + [0xFF, 0xC3, 0x80]
        var accepted = 0, total = 0
        for seed in OCIFuzzTests.seeds {
            let base = Array(seed.utf8)
            for _ in 0..<200 {
                var b = base
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<b.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: b[i] = interesting.randomElement(using: &rng)!
                    case 1: b.remove(at: i)
                    case 2: b.insert(interesting.randomElement(using: &rng)!, at: i)
                    default: b = Array(b[..<i])
                    }
                    if b.isEmpty { break }
                }
                if OCIFuzzTests.check(b) { accepted += 1 }
                total += 1
            }
        }
        // Both outcomes happen, so the mutations reach past the JSON syntax into the checks.
        #expect(accepted > 0 && accepted < total)
    }

    /// Replaces one value anywhere in a valid config by a value of another kind: the parser
    /// must refuse or accept it, with a path in the error when it refuses.
    @Test func typeConfusion() throws {
        var rng = SeededGenerator(seed: 42)
        let replacements: [JSON] = [.null, .bool(true), .number("-1"), .number("1.5"), .number("18446744073709551616"),
                                    .string(""), .string("x"), .string("/abs"), .array([]), .array([.number("1")]), .object([]),
                                    .object([.init("type", .string("pid"))])]
        var refusedWithPath = 0
        for seed in OCIFuzzTests.seeds {
            let doc = try JSON.parse(seed)
            let count = OCIFuzzTests.countValues(doc)
            for _ in 0..<150 {
                var target = Int.random(in: 1..<count, using: &rng)
                let changed = OCIFuzzTests.replacing(doc, at: &target, with: replacements.randomElement(using: &rng)!)
                var warnings: [OCIError] = []
                do {
                    _ = try OCISpec.parse(changed.encodedBytes(), warnings: &warnings)
                } catch {
                    #expect(error.description.hasPrefix("config.json: ."), "\(error)")
                    refusedWithPath += 1
                }
            }
        }
        #expect(refusedWithPath > 0)
    }

    @Test func randomDocuments() {
        var rng = SeededGenerator(seed: 7)
        let keys = ["ociVersion", "process", "root", "path", "args", "cwd", "linux", "namespaces", "type", "mounts",
                    "destination", "hooks", "seccomp", "resources", "user", "uid", "x"]
        func value(_ depth: Int) -> JSON {
            switch Int.random(in: 0..<(depth > 4 ? 4 : 7), using: &rng) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &rng))
            case 2: return .integer(Int64.random(in: -5...5, using: &rng))
            case 3: return .string(["", "1.1.0", "/", "pid", "a"].randomElement(using: &rng)!)
            case 4, 5:
                return .object((0..<Int.random(in: 0...4, using: &rng)).map { _ in .init(keys.randomElement(using: &rng)!, value(depth + 1)) })
            default: return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in value(depth + 1) })
            }
        }
        for _ in 0..<2000 { _ = OCIFuzzTests.check(value(0).encodedBytes()) }
    }

    /// Nesting far past any real config is a JSON error with a position, not a stack overflow.
    @Test func deepNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        do {
            _ = try OCISpec.parse(config(#""annotations": {"a": \#(deep)}"#))
            Issue.record("accepted")
        } catch {
            #expect(error.path == "" && error.reason.hasSuffix("nested deeper than 256 levels"), "\(error)")
        }
    }

    static func countValues(_ j: JSON) -> Int {
        switch j {
        case .array(let items): 1 + items.reduce(0) { $0 + countValues($1) }
        case .object(let ms): 1 + ms.reduce(0) { $0 + countValues($1.value) }
        default: 1
        }
    }

    /// `j` with its `index`-th value (pre-order) replaced.
    static func replacing(_ j: JSON, at index: inout Int, with new: JSON) -> JSON {
        if index == 0 { index = -1; return new }
        index -= 1
        switch j {
        case .array(let items): return .array(items.map { index < 0 ? $0 : replacing($0, at: &index, with: new) })
        case .object(let ms): return .object(ms.map { index < 0 ? $0 : .init($0.key, replacing($0.value, at: &index, with: new)) })
        default: return j
        }
    }
}
