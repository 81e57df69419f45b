import Logging
import PigeonCore
import PostgresNIO

/// PostgresNIO's connection pool with a watchdog on every operation: an operation that cannot get a
/// connection from a server that is down, or gets no answer from one that died, fails with
/// `StoreUnavailable` instead of waiting forever (see `guarded`).
final class GuardedPool: Sendable {
    let client: PostgresClient
    let logger: Logger
    let poolSize: Int
    /// Checks, at most once a second, whether the server accepts a new connection.
    let reachability: Reachability

    init(client: PostgresClient, poolSize: Int, reachability: Reachability, logger: Logger) {
        self.client = client
        self.poolSize = poolSize
        self.reachability = reachability
        self.logger = logger
    }

    /// Runs `body` in one transaction on a pooled connection. An error `body` throws is rethrown as it is
    /// once the transaction is rolled back (not wrapped in PostgresNIO's `PostgresTransactionError`).
    func write<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let client = client
        let logger = logger
        return try await guarded { started in
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    started.mark()
                    return try await body(connection)
                }
            } catch let error as PostgresTransactionError {
                guard let thrown = error.closureError, error.rollbackError == nil else { throw error }
                throw thrown
            }
        }
    }

    /// Runs `body` on a pooled connection, outside a transaction.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let client = client
        return try await guarded { started in
            try await client.withConnection { connection in
                started.mark()
                return try await body(connection)
            }
        }
    }

    /// Runs `operation`, failing with `StoreUnavailable` when it has no connection within `leaseTimeout` and
    /// the server cannot be reached (the pool keeps trying to connect, and every caller would wait), when the
    /// pool stays busy for `maxLeaseWait`, when the database does not answer within `maxOperationTime` (a
    /// connection that died without a word), or when it fails for a reason that says the database cannot be
    /// reached (see `unavailable(_:)`). An operation given up on is cancelled and left to end by itself: a claim
    /// or an outcome it may still commit is guarded by its lease like any other.
    private func guarded<T: Sendable>(_ operation: @escaping @Sendable (StartedFlag) async throws -> T) async throws -> T {
        let started = StartedFlag()
        let outcome = FirstOutcome<T>()
        let work = Task { outcome.settle(await Result(catching: { try await operation(started) })) }
        let watchdog = Task {
            var waited: Duration = .zero
            while !outcome.isSettled {
                try await Task.sleep(for: PostgresStore.leaseTimeout)
                waited += PostgresStore.leaseTimeout
                guard !outcome.isSettled else { return }
                if !started.isSet {
                    if let reason = await self.reachability.problem() {
                        outcome.settle(.failure(StoreUnavailable(reason)))
                    } else if waited >= PostgresStore.maxLeaseWait {
                        outcome.settle(
                            .failure(StoreUnavailable("no free database connection within \(waited) (PIGEON_DATABASE_POOL_SIZE is \(self.poolSize))"))
                        )
                    }
                } else if waited >= PostgresStore.maxOperationTime {
                    self.logger.warning("a database operation got no answer; giving up on it", metadata: ["waited": "\(waited)"])
                    outcome.settle(.failure(StoreUnavailable("the database did not answer within \(waited)")))
                }
            }
        }
        let result = await withTaskCancellationHandler {
            await outcome.value()
        } onCancel: {
            outcome.settle(.failure(CancellationError()))
        }
        work.cancel()
        watchdog.cancel()
        do {
            return try result.get()
        } catch let error as StoreUnavailable {
            throw error
        } catch {
            throw PostgresStore.unavailable(error) ?? error
        }
    }
}
