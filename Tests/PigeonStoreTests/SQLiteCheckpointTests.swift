import Foundation
import PigeonTestSupport
import PigeonCore
import PigeonSQLite
import Testing

/// SQLite only: WAL checkpoints.
@Suite struct CheckpointTests {
    @Test func checkpointsMoveTheLogIntoTheDatabaseFile() async throws {
        let database = try TemporaryDatabase()
        let store = try await database.open() as! SQLiteStore
        _ = try await store.enqueue((0..<500).map { _ in newMessage() }, now: t0)
        let before = try FileManager.default.attributesOfItem(atPath: database.path)[.size] as? Int ?? 0
        try await store.checkpoint()
        let after = try FileManager.default.attributesOfItem(atPath: database.path)[.size] as? Int ?? 0
        #expect(after > before, "the database file did not grow: the checkpoint copied nothing")
        #expect(try await database.open().stats(windowStart: t0).counts[.queued] == 500)
        try? FileManager.default.removeItem(at: database.directory)
    }
}
