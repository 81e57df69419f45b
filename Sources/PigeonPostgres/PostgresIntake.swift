import Foundation
import PigeonCore
import PostgresNIO

/// Group commit of enqueues on PostgreSQL: the messages of concurrent requests are inserted by one
/// transaction (one commit, one fsync, one wake-up notification) instead of one each.
///
/// A batch whose transaction fails for a reason other than the database being unavailable is committed
/// again one request at a time, so a request that cannot be stored fails alone.
enum PostgresIntake {
    /// One caller's messages and the time they are accepted at.
    struct Request: Sendable {
        let messages: [NewMessage]
        let now: Date
    }

    /// The most requests committed in one transaction.
    static let maxBatch = 256

    static func groupCommit(_ pool: GuardedPool) -> GroupCommit<Request, [EnqueueResult]> {
        GroupCommit(maxBatch: maxBatch) { batch in await commit(batch, pool) }
    }

    private static func commit(_ batch: [Request], _ pool: GuardedPool) async -> [Result<[EnqueueResult], any Error>] {
        do {
            return try await insert(batch, pool).map { .success($0) }
        } catch {
            guard batch.count > 1, !(error is StoreUnavailable) else { return batch.map { _ in .failure(error) } }
            pool.logger.warning(
                "a group of enqueues failed together; committing each request alone", metadata: ["requests": "\(batch.count)", "error": "\(error)"])
            var results: [Result<[EnqueueResult], any Error>] = []
            for request in batch {
                results.append(await Result { try await insert([request], pool)[0] })
            }
            return results
        }
    }

    private static func insert(_ requests: [Request], _ pool: GuardedPool) async throws -> [[EnqueueResult]] {
        let logger = pool.logger
        return try await pool.write { connection in
            let results = try await PostgresInserts.enqueue(requests, connection, logger: logger)
            // Delivered when the transaction commits: idle instances start at once.
            try await connection.query("SELECT pg_notify(\(PostgresStore.workChannel), '')", logger: logger)
            return results
        }
    }
}
