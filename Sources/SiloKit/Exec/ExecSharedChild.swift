#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// exec's child cloned with CLONE_VM, as `silo run`'s is (SharedMemoryChild, docs/performance.md):
/// no copy of silo's page tables, no copy-on-write fault for each page either side writes, and
/// its execve drops a reference to silo's address space instead of tearing a copy down. The two
/// take turns: the child blocks on the ack before it touches memory; silo, once it has sent the
/// ack, touches none until the child has exec'd or exited (EOF on the socket). Only for a process
/// that exits after its exec (the `silo` executable): the child's allocations are never freed.
struct ExecSharedChild {
    static let stackSize = 1 << 20
    static let recordCapacity = 1024

    private let stack: UnsafeMutableRawBufferPointer
    private let context: UnsafeMutablePointer<ExecSharedChildContext>
    private let record: UnsafeMutableRawBufferPointer

    /// `body` runs in the child after the ack, reading only what it captured: it must end in
    /// execve or `_exit`.
    init(syncFD: Int32, parentEnd: Int32, body: @escaping () -> Never) throws(SyscallError) {
        stack = try SharedMemoryChild.mapStack(size: Self.stackSize, object: "exec child stack")
        let b = UnsafeMutablePointer<() -> Never>.allocate(capacity: 1)
        b.initialize(to: body)
        context = .allocate(capacity: 1)
        context.initialize(to: ExecSharedChildContext(syncFD: syncFD, parentEnd: parentEnd, body: b))
        record = .allocate(byteCount: Self.recordCapacity, alignment: 8)
    }

    /// The child's pid, or the errno of clone.
    func clone() -> (pid: pid_t, errno: Int32) {
        Clone.sharingMemory([], stackTop: stack.baseAddress! + stack.count, entry: execSharedChildEntry, argument: context)
    }

    /// The ack, then the child's error record if it sent one (nil: it exec'd). From the ack to
    /// the EOF nothing here allocates or trusts errno (the child's lives in the same TLS).
    func acknowledgeAndAwaitExec(fd: Int32, pid: pid_t) -> Result<ErrorRecord?, SyscallError> {
        var ack: UInt8 = 1
        if write(fd, &ack, 1) != 1 {
            let e = errno  // the child is still blocked in its read: errno is ours
            ProcessWait.killAndReap(pid)
            return .failure(SyscallError("write", errno: e, object: "sync socket"))
        }
        guard let length = SharedMemoryChild.drainRecord(fd: fd, into: record) else {
            ProcessWait.killAndReap(pid)
            return .failure(SyscallError("read", errno: EIO, object: "sync socket"))
        }
        guard length > 0 else { return .success(nil) }
        let bytes = Array(UnsafeRawBufferPointer(rebasing: record[0..<length]))
        return .success(ErrorRecord.decode(bytes) ?? ErrorRecord(stage: .exec, error: SyscallError("child", errno: EPROTO, object: "error record")))
    }

    /// After the child has exec'd or exited (the closure and its captures stay: see above).
    func release() {
        munmap(stack.baseAddress, stack.count)
        context.deallocate()
        record.deallocate()
    }
}

struct ExecSharedChildContext {
    var syncFD: Int32
    var parentEnd: Int32
    var body: UnsafeMutablePointer<() -> Never>
}

/// The child's first frame: only trivial fields are read before the ack.
private let execSharedChildEntry: @convention(c) (UnsafeMutableRawPointer) -> Int32 = { raw in
    let context = raw.assumingMemoryBound(to: ExecSharedChildContext.self)
    close(context.pointee.parentEnd)  // so that silo's death reads as EOF here
    ChildMain.awaitMaps(syncFD: context.pointee.syncFD)
    context.pointee.body.pointee()
}
