import Foundation
import PigeonCore
import Synchronization

/// Callers waiting for the first recorded outcome of particular messages (the drop-in endpoint answers
/// with Meta's result when it comes quickly). The dispatcher reports each recorded outcome; a waiter that
/// hears nothing in time gets `nil`.
public final class OutcomeWaiters: Sendable {
    private enum Entry {
        /// Registered; the caller has not started waiting yet.
        case registered
        /// The outcome came before the caller started waiting.
        case done(MessageState?)
        /// The caller is waiting.
        case waiting(CheckedContinuation<MessageState?, Never>)
    }

    private let entries = Mutex<[MessageID: Entry]>([:])
    private let count = Atomic<Int>(0)

    public init() {}

    /// Reports the state a message reached after an attempt; wakes its waiter, if any.
    func recorded(_ id: MessageID, _ state: MessageState) {
        guard count.load(ordering: .relaxed) > 0 else { return }
        finish(id, state)
    }

    /// Waits up to `timeout` for the outcome of `id`. `start` runs once the waiter is registered, so an
    /// outcome cannot slip past it, and returns false when there is nothing to wait for.
    func wait(for id: MessageID, timeout: Duration, after start: () async throws -> Bool) async throws -> MessageState? {
        entries.withLock { $0[id] = .registered }
        count.add(1, ordering: .relaxed)
        defer {
            count.subtract(1, ordering: .relaxed)
            entries.withLock { _ = $0.removeValue(forKey: id) }
        }
        guard try await start() else { return nil }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.finish(id, nil)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let ready: MessageState?? = entries.withLock { entries in
                if case .done(let state)? = entries[id] { return .some(state) }
                entries[id] = .waiting(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// The first outcome (or the timeout's nil) wins; later ones are ignored.
    private func finish(_ id: MessageID, _ state: MessageState?) {
        let waiter: CheckedContinuation<MessageState?, Never>? = entries.withLock { entries in
            switch entries[id] {
            case .registered:
                entries[id] = .done(state)
                return nil
            case .waiting(let continuation):
                entries[id] = .done(state)
                return continuation
            case .done, nil:
                return nil
            }
        }
        waiter?.resume(returning: state)
    }
}
