import SiloKit
import SiloSys

Trace.mark("main")
Trace.mark("trace: first line")  // the first write costs page faults: its own row
// One call into nonisolated code; see CLI.swift for why nothing else belongs here.
CLI.main(Array(CommandLine.arguments.dropFirst()))
