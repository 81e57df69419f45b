import GRDB
import Synchronization

/// Group commit: concurrent writes are queued and committed together in one immediate transaction.
///
/// The first caller to find no flush under way becomes the leader: it commits everything queued (its own
/// work first) in one transaction, then hands the lead to the oldest writer still queued, and returns.
/// Each piece of work runs in its own savepoint, so one failing write does not undo the others, and
/// nobody is answered before the commit.
final class WriteCoalescer: Sendable {
    /// The most pieces of work committed in one transaction.
    static let maxBatch = 4096

    private struct Pending {
        /// Runs the work inside the transaction and returns what to do once the transaction has committed.
        let run: @Sendable (Database) -> @Sendable () -> Void
        /// Fails the work when the transaction itself could not commit.
        let fail: @Sendable (any Error) -> Void
        /// Wakes the waiting writer to lead the next flush.
        let promote: @Sendable () -> Void
    }
    private struct State {
        var queue: [Pending] = []
        var flushing = false
    }

    private let writer: DatabasePool
    private let state = Mutex(State())

    init(writer: DatabasePool) {
        self.writer = writer
    }

    /// Runs `work` in the next group transaction and returns its result after the commit.
    func perform<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let waiter = Waiter<T>()
        let pending = Pending(
            run: { db in
                do {
                    var value: T?
                    try db.inSavepoint {
                        value = try work(db)
                        return .commit
                    }
                    let result = value!
                    return { waiter.wake(.done(.success(result))) }
                } catch {
                    return { waiter.wake(.done(.failure(error))) }
                }
            },
            fail: { waiter.wake(.done(.failure($0))) },
            promote: { waiter.wake(.lead) }
        )
        var leads = state.withLock { state -> Bool in
            state.queue.append(pending)
            if state.flushing { return false }
            state.flushing = true
            return true
        }
        while true {
            if leads { await flushOneBatch() }
            switch await waiter.wait() {
            case .done(let result): return try result.get()
            case .lead: leads = true
            }
        }
    }

    private func flushOneBatch() async {
        let batch: [Pending] = state.withLock { state in
            let count = min(state.queue.count, Self.maxBatch)
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return batch
        }
        do {
            let finishers = try await writer.writeWithoutTransaction { db in
                var finishers: [@Sendable () -> Void] = []
                finishers.reserveCapacity(batch.count)
                try db.inTransaction(.immediate) {
                    finishers.removeAll(keepingCapacity: true)
                    for pending in batch { finishers.append(pending.run(db)) }
                    return .commit
                }
                return finishers
            }
            for finish in finishers { finish() }
        } catch {
            for pending in batch { pending.fail(error) }
        }
        let next: Pending? = state.withLock { state in
            guard let first = state.queue.first else {
                state.flushing = false
                return nil
            }
            return first
        }
        next?.promote()
    }
}

/// Why a queued writer wakes up.
private enum Wake<T: Sendable>: Sendable {
    /// Its work was committed (or failed).
    case done(Result<T, any Error>)
    /// It is now the leader and must flush the queue.
    case lead
}

/// A queued writer's mailbox: one wake at a time, delivered before or after it starts waiting.
private final class Waiter<T: Sendable>: Sendable {
    private struct State {
        var pending: [Wake<T>] = []
        var continuation: CheckedContinuation<Wake<T>, Never>?
    }
    private let state = Mutex(State())

    func wake(_ wake: Wake<T>) {
        let continuation = state.withLock { state -> CheckedContinuation<Wake<T>, Never>? in
            if let continuation = state.continuation {
                state.continuation = nil
                return continuation
            }
            state.pending.append(wake)
            return nil
        }
        continuation?.resume(returning: wake)
    }

    func wait() async -> Wake<T> {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Wake<T>? in
                if !state.pending.isEmpty { return state.pending.removeFirst() }
                state.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
