// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for silo's parsers (docs/fuzzing.md). A package of its own, so that the
// main package's `swift build` and `swift test` never see -sanitize=fuzzer. Build and run
// them with fuzz/run.sh.
let fuzzers = ["FuzzJSON", "FuzzSeccomp", "FuzzEnvFile", "FuzzIDMap", "FuzzArguments", "FuzzPasswd"]

let package = Package(
    name: "silo-fuzz",
    dependencies: [.package(name: "silo", path: "..")],
    targets: [
        .target(name: "CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer"]),
    ] + fuzzers.map {
        // The argument parsers live in SiloCLI, the rest in SiloKit (docs/architecture.md).
        .executableTarget(name: $0, dependencies: ["FuzzSupport", .product(name: "SiloKit", package: "silo")]
                              + ($0 == "FuzzArguments" ? [.product(name: "SiloCLI", package: "silo")] : []),
                          // gold fails with an internal error on ASan's symbols; lld links them.
                          linkerSettings: [.unsafeFlags(["-use-ld=lld"])])
    },
    swiftLanguageModes: [.v6]
)
