import SiloCLI

// One call into nonisolated code: see SiloCLI/CLI.swift for why nothing else belongs here.
CLI.main()
