import Foundation
import GRDB
import PigeonCore
import Synchronization

/// The default store: one SQLite file in WAL mode with `synchronous=FULL` (a commit survives power loss),
/// opened once per process. Writes are group-committed; reads use the pool's readers. Several processes
/// may share one file: claims are immediate transactions and leases expire, so any process reclaims them.
/// Automatic WAL checkpoints are off so that no commit pays for one: call `checkpoint()` periodically
/// (`pigeon serve` does, every second).
public final class SQLiteStore: Sendable {
    /// How long a write waits for another process's lock before failing (seconds).
    public static let defaultBusyTimeout: TimeInterval = 30

    let pool: DatabasePool
    let writes: WriteCoalescer
    /// A connection of its own for WAL checkpoints, so they never wait in the writer's queue.
    let checkpointer: DatabaseQueue
    /// The file's path.
    public let path: String
    /// The descriptor holding the leader lock, while this store leads (see `holdsLead()`).
    let leader = Mutex<Int32?>(nil)

    /// Opens (creating if needed) and migrates the database at `path`.
    /// - Parameter synchronousFull: `true` (the default) fsyncs every commit; `false` uses `NORMAL`, which
    ///   survives a process crash but may lose the last commits on power loss.
    /// - Parameter maxPageCount: caps the file at this many pages (SQLite's `max_page_count`): writes beyond
    ///   it fail as on a full disk. Nil (the default) leaves the file unbounded.
    public init(path: String, synchronousFull: Bool = true, maxPageCount: Int? = nil) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.defaultBusyTimeout)
        configuration.maximumReaderCount = 4
        let synchronous = synchronousFull ? "FULL" : "NORMAL"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // Checkpoints run from a separate connection (`checkpoint()`), never inside a commit.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            // Savepoint (statement) journals stay in memory instead of spilling to temporary files.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            if let maxPageCount { try db.execute(sql: "PRAGMA max_page_count = \(maxPageCount)") }
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        pool = try MigrationLock.withLock(forDatabase: path) {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try SQLiteMigrations.migrator.migrate(pool)
            return pool
        }
        writes = WriteCoalescer(writer: pool)
        var checkpointConfiguration = Configuration()
        checkpointConfiguration.busyMode = .timeout(Self.defaultBusyTimeout)
        checkpointConfiguration.journalMode = .default
        checkpointer = try DatabaseQueue(path: path, configuration: checkpointConfiguration)
        self.path = path
    }

    /// Runs `work` in the next group-committed transaction; a full disk or an I/O failure becomes
    /// `StoreUnavailable` (the transaction rolled back: nothing half-written).
    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writes.perform(work)
        } catch {
            throw Self.unavailable(error) ?? error
        }
    }

    /// Runs `work` on a reader connection.
    func read<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(work)
        } catch {
            throw Self.unavailable(error) ?? error
        }
    }

    /// `error` as a `StoreUnavailable` when the file cannot take the operation: disk full, I/O error (and the
    /// rollback SQLite makes of the whole transaction then), the file cannot be opened or stayed locked past the
    /// busy timeout. Other errors are returned as nil.
    static func unavailable(_ error: any Error) -> StoreUnavailable? {
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode.primaryResultCode {
        case .SQLITE_FULL: return StoreUnavailable("the disk is full (\(error.message ?? "SQLITE_FULL"))")
        case .SQLITE_ABORT:
            // SQLite rolls a whole transaction back on a full disk or an I/O error; the batch's other writes see this.
            return StoreUnavailable("SQLite rolled the transaction back (\(error.message ?? "SQLITE_ABORT")): the disk may be full")
        case .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_BUSY, .SQLITE_READONLY:
            return StoreUnavailable("SQLite: \(error.message ?? "\(error.resultCode)")")
        default: return nil
        }
    }

    /// Copies committed WAL pages into the database file without blocking writers (a passive checkpoint).
    public func checkpoint() async throws {
        try await checkpointer.writeWithoutTransaction { db in
            _ = try db.checkpoint(.passive)
        }
    }
}
