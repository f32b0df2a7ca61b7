import CHeap
import Glibc
import SiloKit

// Runs `/bin/true` containers one after another in this (single-threaded) process and prints
// how much the heap in use grew per container, after a few warm-up runs have filled the caches
// that are allocated once.
let arguments = CommandLine.arguments.dropFirst()
var config = RunConfig(argv: ["/bin/true"])
config.rootfs = arguments.first ?? RunConfig.defaultRootfs
let runs = arguments.dropFirst().first.flatMap { Int($0) } ?? 200

for memory in [Launcher.ChildMemory.copied, .shared] {
    do throws(RuntimeError) {
        for _ in 0..<5 { _ = try Launcher(config, childMemory: memory).run() }
        let before = heap_in_use()
        for _ in 0..<runs {
            let status = try Launcher(config, childMemory: memory).run()
            if status != 0 { print("heap-probe: a container exited with \(status)"); exit(1) }
        }
        let grown = Int(heap_in_use()) - Int(before)
        print("\(memory): heap in use grew \(grown) bytes over \(runs) containers, \(grown / runs) per container")
    } catch {
        print("heap-probe: \(error.message)")
        exit(1)
    }
}
