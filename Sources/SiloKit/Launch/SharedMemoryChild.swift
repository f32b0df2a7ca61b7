#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// What a CLONE_VM child is handed: trivial fields only, so that reading them before the ack
/// touches no reference count.
struct SharedMemoryChildContext {
    var syncFD: Int32
    var parentEnd: Int32
    /// No ack comes: the child writes its own maps, the parent sleeps in clone (CLONE_VFORK).
    var writesOwnMaps: Bool
    var plan: UnsafeMutablePointer<ContainerPlan>
}

/// A child cloned with CLONE_VM: it runs on its own stack in the parent's address space until
/// its execve. Everything it needs is allocated before clone; afterwards the two take turns and
/// never run at once (the memory allocator and the Swift runtime believe the process has one
/// thread, and it does have one at a time):
///
///     parent: clone, write maps, idmap rootfs, ack ─┐          ┌─ sees EOF, resumes
///     child:  read(ack) ............................└─ mounts, pivot_root, … execve (or record, _exit)
///
/// The child's stack and any memory it allocates are never freed by the child; the stack is
/// unmapped by the parent once the child has left (its heap allocations stay: about 14 KiB,
/// which is why only a process that exits after its container asks for this child).
struct SharedMemoryChild {
    static let stackSize = 1 << 20
    static let recordCapacity = 1024

    /// The guard page and the stack above it, one mapping.
    private let stack: UnsafeMutableRawBufferPointer
    private let context: UnsafeMutablePointer<SharedMemoryChildContext>
    private let plan: UnsafeMutablePointer<ContainerPlan>
    private let record: UnsafeMutableRawBufferPointer
    private(set) var cloneErrno: Int32 = 0

    init(plan: ContainerPlan, parentEnd: Int32) throws(SyscallError) {
        stack = try Self.mapStack(size: Self.stackSize, object: "child stack")
        self.plan = .allocate(capacity: 1)
        self.plan.initialize(to: plan)
        context = .allocate(capacity: 1)
        context.initialize(to: SharedMemoryChildContext(syncFD: plan.syncFD, parentEnd: parentEnd, writesOwnMaps: plan.ownMaps != nil,
                                                        plan: self.plan))
        record = .allocate(byteCount: Self.recordCapacity, alignment: 8)
    }

    /// A CLONE_VM child's stack, `size` bytes above a guard page (one mapping, unmapped whole):
    /// the guard turns an overflow into SIGSEGV rather than a write into whatever mapping lies
    /// below. Shared with `exec`'s child (ExecSharedChild).
    static func mapStack(size stackSize: Int, object: String) throws(SyscallError) -> UnsafeMutableRawBufferPointer {
        let guardSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let size = stackSize + guardSize
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0),
              base != MAP_FAILED else { throw SyscallError.last("mmap", object) }
        if mprotect(base, guardSize, PROT_NONE) != 0 {
            let e = SyscallError.last("mprotect", object + " guard")
            munmap(base, size)
            throw e
        }
        return UnsafeMutableRawBufferPointer(start: base, count: size)
    }

    /// Returns the child's pid, or -1 with `cloneErrno` set.
    mutating func clone(flags: CloneFlags) -> pid_t {
        let top = stack.baseAddress! + stack.count  // the stack grows down from the end
        let (pid, error) = Clone.sharingMemory(flags, stackTop: top, entry: sharedMemoryChildEntry, argument: context)
        if pid < 0 { cloneErrno = error }
        return pid
    }

    enum Outcome: Equatable {
        /// EOF without a record: the command runs.
        case execed
        /// The child sent an error record of this length and exited.
        case failed(recordLength: Int)
        /// The ack could not be sent, or the socket broke: the child was killed and reaped.
        case lost(call: String, errno: Int32)
    }

    /// Sends the ack, then blocks until the child has left the shared memory: EOF on the sync
    /// socket, which its execve (CLOEXEC) or its exit causes. From the ack to the EOF nothing
    /// here allocates, and errno is not trusted: the child's lives in the same thread-local
    /// storage. Any surprise kills the child first, since that is the one way to be sure it no
    /// longer runs.
    func acknowledgeAndAwaitExec(fd: Int32, pid: pid_t, acknowledging: Bool = true) -> Outcome {
        var ack: UInt8 = 1
        if acknowledging && write(fd, &ack, 1) != 1 {
            let e = errno  // the child is still blocked in its read: errno is ours
            return killed(pid, "write", errno: e)
        }
        guard let length = Self.drainRecord(fd: fd, into: record) else { return killed(pid, "read", errno: EIO) }
        return length == 0 ? .execed : .failed(recordLength: length)
    }

    /// Reads the child's error record until EOF (its execve, CLOEXEC, or its exit closes the
    /// socket): the record's length, 0 when it exec'd, nil after repeated read errors. Allocates
    /// nothing and never reads errno, for the child's lives in the same thread-local storage.
    /// Shared with `exec`'s child (ExecSharedChild).
    static func drainRecord(fd: Int32, into record: UnsafeMutableRawBufferPointer) -> Int? {
        var length = 0
        var scratch: UInt8 = 0
        var failures = 0
        while true {
            let room = record.count - length
            let n = room > 0 ? read(fd, record.baseAddress! + length, room) : read(fd, &scratch, 1)
            if n == 0 { return length }
            if n < 0 {
                // EINTR cannot happen with every signal blocked, but an error cannot be told
                // from it without errno: retry a few times, then give up (the caller kills).
                failures += 1
                if failures > 3 { return nil }
                continue
            }
            if room > 0 { length += n }
        }
    }

    private func killed(_ pid: pid_t, _ call: String, errno e: Int32) -> Outcome {
        ProcessWait.killAndReap(pid)
        return .lost(call: call, errno: e)
    }

    func record(length: Int) -> ErrorRecord {
        let bytes = Array(UnsafeRawBufferPointer(rebasing: record[0..<length]))
        return ErrorRecord.decode(bytes) ?? ErrorRecord(stage: .exec, error: SyscallError("child", errno: EPROTO, object: "error record"))
    }

    /// After the child has exec'd or exited.
    func release() {
        munmap(stack.baseAddress, stack.count)
        plan.deinitialize(count: 1)
        plan.deallocate()
        context.deallocate()
        record.deallocate()
    }
}

/// The child's first frame. It must not touch memory before the ack: the parent is still
/// running in the same address space.
private let sharedMemoryChildEntry: @convention(c) (UnsafeMutableRawPointer) -> Int32 = { raw in
    let context = raw.assumingMemoryBound(to: SharedMemoryChildContext.self)
    close(context.pointee.parentEnd)  // so that the parent's death reads as EOF here
    if !context.pointee.writesOwnMaps { ChildMain.awaitMaps(syncFD: context.pointee.syncFD) }
    ChildMain.run(plan: context.pointee.plan.pointee)
}
