import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock across processes on `<database>.lock`, held while a process opens and migrates the
/// database, so several Pigeons started at the same moment on a new file never run a migration twice
/// (SQLite's own locks do not cover GRDB's check of which migrations are applied).
enum MigrationLock {
    /// Runs `body` while holding the lock for the database at `path`.
    static func withLock<T>(forDatabase path: String, _ body: () throws -> T) throws -> T {
        let lockPath = path + ".lock"
        let descriptor = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CocoaError(
                .fileWriteUnknown, userInfo: [NSFilePathErrorKey: lockPath, NSLocalizedDescriptionKey: String(cString: strerror(errno))])
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw CocoaError(.fileLocking, userInfo: [NSFilePathErrorKey: lockPath, NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}
