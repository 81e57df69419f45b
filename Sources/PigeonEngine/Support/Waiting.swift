import Foundation
import PigeonCore
import Synchronization

/// Waiting for the first of several wake-ups.
enum Waiting {
    /// Returns when `signal` is notified, `deadline` passes on `clock` (if given), or the task is cancelled.
    static func untilSignal(_ signal: WakeSignal, orDeadline deadline: Date?, clock: any PigeonClock) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await signal.wait() }
            if let deadline {
                group.addTask { try? await clock.sleep(until: deadline) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns when `task` ends or `limit` has passed (real time), whichever is first; the task goes on.
    /// (Awaiting `task.value` in a task group would not do: cancelling the group does not end that wait.)
    static func forTask(_ task: Task<Void, Never>, atMost limit: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = ResumeOnce(continuation)
            Task {
                await task.value
                once.resume()
            }
            Task {
                try? await Task.sleep(for: limit)
                once.resume()
            }
        }
    }
}

/// Resumes a continuation the first time it is asked to, whoever asks first.
private final class ResumeOnce: Sendable {
    private let done = Atomic<Bool>(false)
    private let continuation: CheckedContinuation<Void, Never>

    init(_ continuation: CheckedContinuation<Void, Never>) {
        self.continuation = continuation
    }

    func resume() {
        if !done.exchange(true, ordering: .acquiringAndReleasing) { continuation.resume() }
    }
}
