import Foundation
import PigeonCore

/// Where the HTTP layer hands Meta's verified webhooks: each body is stored durably, then the processor is
/// woken. Answering 200 only after `accept` returns is what makes a webhook impossible to lose.
public final class WebhookIntake: Sendable {
    let store: any WebhookInbox
    let clock: any PigeonClock
    let signal: WakeSignal

    init(store: any WebhookInbox, clock: any PigeonClock, signal: WakeSignal) {
        self.store = store
        self.clock = clock
        self.signal = signal
    }

    /// Stores `body` exactly as received; returns once it is durable.
    public func accept(_ body: Data) async throws {
        try await store.saveWebhook(body, receivedAt: clock.now())
        signal.notify()
    }
}
