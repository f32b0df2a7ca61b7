// swift-tools-version:6.0
import PackageDescription

// The shipped `silo` is a static executable (see docs/architecture.md, "Start-up cost"):
// `swift build -c release -Xswiftc -static-executable`. Nothing here imports Foundation
// except the test targets.
let package = Package(
    name: "silo",
    products: [
        .executable(name: "silo", targets: ["silo"]),
        .library(name: "SiloKit", targets: ["SiloKit"]),
        // The parsers, for fuzz/ and for programs that embed the command line.
        .library(name: "SiloCLI", targets: ["SiloCLI"]),
    ],
    targets: [
        .target(name: "CSiloShim"),
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        .target(name: "SiloSpec"),
        .target(name: "SiloSys", dependencies: ["CSiloShim", "CSeccomp", "CCap"]),
        .target(name: "SiloKit", dependencies: ["SiloSys", "SiloSpec"]),
        .target(name: "SiloDemo", dependencies: ["SiloKit", "SiloSys", "SiloSpec"]),
        .target(name: "SiloCLI", dependencies: ["SiloKit", "SiloDemo", "SiloSys", "SiloSpec"]),
        .executableTarget(name: "silo", dependencies: ["SiloCLI"]),
        // Test doubles next to the protocols they fake: a library so that every test target
        // shares one, and silo never links it.
        .target(name: "SiloSysTesting", dependencies: ["SiloSys"]),
        .testTarget(name: "SiloSysTests", dependencies: ["SiloSys", "SiloSysTesting"]),
        .testTarget(name: "SiloKitTests", dependencies: ["SiloKit", "SiloSpec", "SiloSys", "SiloSysTesting"]),
        .testTarget(name: "SiloSpecTests", dependencies: ["SiloSpec"]),
        .testTarget(name: "SiloDemoTests", dependencies: ["SiloDemo", "SiloKit", "SiloSys"]),
        .testTarget(name: "SiloCLITests", dependencies: ["SiloCLI", "SiloKit", "SiloSys", "SiloDemo"]),
        .testTarget(name: "IntegrationTests", dependencies: ["SiloKit", "SiloSpec", "SiloSys"]),
    ],
    swiftLanguageModes: [.v6]
)
