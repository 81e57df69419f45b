import PigeonCore
import ServiceLifecycle

/// Wakes the dispatcher whenever a process sharing the store queues work (PostgreSQL's `LISTEN/NOTIFY`), so
/// an idle instance starts within milliseconds instead of at its next poll.
struct WorkListener: Service {
    let notifications: any WorkNotifications
    let signal: WakeSignal

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in notifications.workNotifications() { signal.notify() }
        }
    }
}
