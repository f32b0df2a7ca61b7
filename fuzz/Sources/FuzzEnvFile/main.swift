import FuzzSupport
import SiloKit

// `--env-file FILE` and `--env K=V`: the whole input as the file, and its NUL-separated
// pieces as --env values, through the function `silo run` calls.
let path = scratchFile("env")

fuzz { bytes in
    write(bytes, to: path)
    var config = RunConfig(argv: ["true"])
    config.envFiles = [path]
    config.env = fields(bytes)
    guard let env = try? Environment.make(config: config, hostname: "fuzz", home: "/root") else { return }
    for e in env { check(e.contains("="), "environment entry without `=`: \(e)") }
}
