/// Bounds how many simulated webhooks are in flight at once, as a real sender of webhooks does: a burst of
/// accepted messages queues its status reports (in order) instead of opening a connection for each, which
/// would swamp the receiver with thousands of concurrent requests.
actor WebhookGate {
    /// The most posts in flight at once.
    let limit: Int
    private var inFlight = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    /// Waits for a free slot.
    func acquire() async {
        if inFlight < limit {
            inFlight += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Frees a slot, handing it to the longest waiter if there is one.
    func release() {
        if waiting.isEmpty { inFlight -= 1 } else { waiting.removeFirst().resume() }
    }
}
