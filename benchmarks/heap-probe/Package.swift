// swift-tools-version:6.0
// Measures how much heap one in-process `Launcher(config).run()` leaves allocated, for each
// ChildMemory choice (docs/architecture.md, "Sharing memory with the child"). As root:
//   swift run -c release --package-path benchmarks/heap-probe heap-probe [ROOTFS] [RUNS]
import PackageDescription

let package = Package(
    name: "heap-probe",
    dependencies: [.package(name: "silo", path: "../..")],
    targets: [
        // mallinfo2 is in <malloc.h>, which Swift's Glibc module does not export.
        .target(name: "CHeap"),
        .executableTarget(name: "heap-probe", dependencies: ["CHeap", .product(name: "SiloKit", package: "silo")]),
    ]
)
