import Synchronization

/// Group commit for any store: concurrent callers' inputs are gathered and committed by one `flush` at a
/// time, so many requests share one transaction (and one fsync).
///
/// The first caller to find no flush under way becomes the leader: it flushes everything queued (its own
/// input first), answers every caller of that batch, then hands the lead to the oldest caller still queued,
/// and returns. Nobody is answered before its batch's flush has returned, so an answer given is committed.
/// `flush` gets the inputs in arrival order and returns one result per input, in the same order.
public final class GroupCommit<Input: Sendable, Output: Sendable>: Sendable {
    /// Commits a batch; one result per input, in order.
    public typealias Flush = @Sendable ([Input]) async -> [Result<Output, any Error>]

    private struct Pending {
        let input: Input
        let waiter: Waiter<Output>
    }
    private struct State {
        var queue: [Pending] = []
        var flushing = false
    }

    private let maxBatch: Int
    private let flush: Flush
    private let state = Mutex(State())

    /// `maxBatch` bounds the inputs given to one flush.
    public init(maxBatch: Int, flush: @escaping Flush) {
        precondition(maxBatch > 0, "a group commit needs room for at least one input")
        self.maxBatch = maxBatch
        self.flush = flush
    }

    /// Queues `input` for the next flush and returns its result once that flush has committed.
    public func perform(_ input: Input) async throws -> Output {
        let waiter = Waiter<Output>()
        var leads = state.withLock { state -> Bool in
            state.queue.append(Pending(input: input, waiter: waiter))
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
            let count = min(state.queue.count, maxBatch)
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return batch
        }
        let results = await flush(batch.map(\.input))
        precondition(results.count == batch.count, "a flush answers every input of its batch")
        for (pending, result) in zip(batch, results) { pending.waiter.wake(.done(result)) }
        let next: Pending? = state.withLock { state in
            guard let first = state.queue.first else {
                state.flushing = false
                return nil
            }
            return first
        }
        next?.waiter.wake(.lead)
    }
}

/// Why a queued caller wakes up.
private enum Wake<T: Sendable>: Sendable {
    /// Its input was committed (or failed).
    case done(Result<T, any Error>)
    /// It is now the leader and must flush the queue.
    case lead
}

/// A queued caller's mailbox: one wake at a time, delivered before or after it starts waiting.
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
