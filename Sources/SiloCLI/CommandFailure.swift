import SiloKit

/// The one error every verb throws: the line `silo: MESSAGE` and the exit status that goes with it.
struct CommandFailure: Error {
    let status: Int32
    let message: String

    init(_ status: Int32, _ message: String) {
        self.status = status
        self.message = message
    }

    init(_ e: RuntimeError) {
        self.init(ExitStatus.of(e), e.message)
    }
}
