import Foundation
import PigeonCore
import PigeonSQLite
import PigeonTestSupport
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

/// SQLite only: a full disk.
@Suite struct SQLiteFullDiskTests {
    @Test func aFullDiskIsReportedAsUnavailableAndNothingIsHalfWritten() async throws {
        let database = try TemporaryDatabase()
        defer { try? FileManager.default.removeItem(at: database.directory) }
        _ = try SQLiteStore(path: database.path)  // migrated at full size
        let store = try SQLiteStore(path: database.path, maxPageCount: 60)
        var stored = 0
        var refused: StoreUnavailable?
        for _ in 0..<200 where refused == nil {
            let batch = (0..<20).map { _ in newMessage() }
            do {
                stored += try await store.enqueue(batch, now: t0).count
            } catch let error as StoreUnavailable {
                refused = error
            }
        }
        let error = try #require(refused, "the capped file never filled up")
        #expect(error.description.contains("full"), "\(error.description)")
        let reopened = try SQLiteStore(path: database.path)
        #expect(try await reopened.stats(windowStart: t0).counts[.queued] == stored, "a refused batch was half-written")
        #expect(try await reopened.list(MessageFilter(), limit: 10_000, cursor: nil).messages.count == stored)
    }
}
