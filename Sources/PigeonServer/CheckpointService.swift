import Logging
import PigeonCore
import PigeonEngine
import PigeonSQLite
import ServiceLifecycle

/// Checkpoints the SQLite write-ahead log every `interval` (default 1 s) from its own connection, so commits
/// never pay for a checkpoint and the log does not grow without bound.
struct CheckpointService: Service {
    /// Default interval between passive checkpoints.
    static let defaultInterval: Duration = .seconds(1)

    let store: SQLiteStore
    let logger: Logger
    var interval: Duration = CheckpointService.defaultInterval

    func run() async throws {
        try await Periodic.run(every: interval, clock: SystemClock(), logger: logger, name: "WAL checkpoint") { _ in
            try await store.checkpoint()
        }
    }
}
