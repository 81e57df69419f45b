import Foundation
import PigeonCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SQLiteStore: LeaderElection {
    /// The lead is an exclusive `flock` on `<database>.leader`, held by an open descriptor: the kernel releases
    /// it when the process dies, however it dies.
    public func holdsLead() async throws -> Bool {
        try leader.withLock { descriptor in
            if descriptor != nil { return true }
            let opened = open(path + ".leader", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
            guard opened >= 0 else { throw StoreUnavailable("cannot open \(path).leader: \(String(cString: strerror(errno)))") }
            guard flock(opened, LOCK_EX | LOCK_NB) == 0 else {
                close(opened)
                return false
            }
            descriptor = opened
            return true
        }
    }

    public func resignLead() async {
        leader.withLock { descriptor in
            if let held = descriptor { close(held) }
            descriptor = nil
        }
    }
}
