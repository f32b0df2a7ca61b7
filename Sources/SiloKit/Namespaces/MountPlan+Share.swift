#if canImport(Glibc)
import Glibc
#endif
import SiloSys

extension MountPlan {
    /// Swaps the new mount of file system `type` for a tree opened by the parent, moved into
    /// the same place.
    mutating func replaceMount(ofType type: String, withTree fd: Int32) {
        for i in beforePivot.indices {
            if case let .fresh(t, target, _, _, _) = beforePivot[i].op, t == type {
                beforePivot[i] = MountStep(beforePivot[i].stage, .moveTree(fd: fd, target: target, isFile: false))
            }
        }
    }
}
