import Foundation
import Logging
import PigeonCore

/// What the API does with messages: accept them durably, read them, and apply operator actions through
/// the lifecycle. Wakes the dispatcher when work becomes due.
public final class MessageService: Sendable {
    /// The store.
    public let store: any PigeonStore
    /// The configured senders.
    public let senders: SenderService
    let lifecycle: Lifecycle
    let clock: any PigeonClock
    let signal: WakeSignal
    let pacer: SenderPacer
    let waiters: OutcomeWaiters
    /// The sender used when a request names none.
    public let defaultSenderID: String
    /// The engine's metrics.
    public let metrics: PigeonMetrics
    /// Most messages a bulk retry moves in one call.
    public static let bulkRetryLimit = 100_000

    public init(
        store: any PigeonStore, senders: SenderService, lifecycle: Lifecycle, clock: any PigeonClock, signal: WakeSignal, pacer: SenderPacer,
        waiters: OutcomeWaiters = OutcomeWaiters(), defaultSenderID: String, metrics: PigeonMetrics = .disabled
    ) {
        self.metrics = metrics
        self.waiters = waiters
        self.store = store
        self.senders = senders
        self.lifecycle = lifecycle
        self.clock = clock
        self.signal = signal
        self.pacer = pacer
        self.defaultSenderID = defaultSenderID
    }

    /// The attempt budget for messages that do not set `max_attempts`.
    public var defaultMaxAttempts: Int { lifecycle.policy.retry.defaultMaxAttempts }

    /// Builds the stored form of a validated request: pinned to the sender it names, or pooled (in the pool
    /// it names, else the default pool) and routed to a sender of the pool by `accept`.
    public func newMessage(_ request: MessageRequest, requestHash: String?) -> NewMessage {
        NewMessage(
            id: .generate(now: clock.now()), senderID: request.senderID ?? "", recipient: request.recipient,
            type: request.type, payload: request.payload, maxAttempts: request.maxAttempts ?? defaultMaxAttempts,
            idempotencyKey: request.idempotencyKey, requestHash: requestHash,
            pool: request.senderID == nil ? request.pool ?? SenderRecord.defaultPool : nil)
    }

    /// Stores `messages` in one transaction; returns after the commit. Throws `ValidationError` (and stores
    /// nothing) when a message names a media library asset that does not exist.
    public func accept(_ messages: [NewMessage]) async throws -> [EnqueueResult] {
        let messages = try await prepare(messages)
        let results = try await store.enqueue(messages, now: clock.now())
        let created = results.count { if case .created = $0 { true } else { false } }
        metrics.accepted(created)
        if created > 0 { signal.notify() }
        return results
    }

    /// The messages as `accept` stores them: each pooled one routed to a sender of its pool, and every sender
    /// and media library asset they name checked. Throws `ValidationError` for a message that cannot be sent.
    public func prepare(_ messages: [NewMessage]) async throws -> [NewMessage] {
        let messages = try await route(messages)
        try await checkSenders(messages)
        try await checkMediaKeys(messages)
        return messages
    }

    /// The messages with each pooled one assigned to a sender of its pool; throws when a pool has no sender
    /// that could ever send a message's type.
    private func route(_ messages: [NewMessage]) async throws -> [NewMessage] {
        var routed = messages
        let pooled = messages.indices.filter { messages[$0].pool != nil }
        let choices = try await senders.route(
            pooled.map { (messages[$0].pool!, MessageNeeds(type: messages[$0].type, payload: messages[$0].payload)) })
        for (index, choice) in zip(pooled, choices) {
            let prefix = messages.count > 1 ? "messages[\(index)]: " : ""
            switch choice {
            case .success(let sender):
                routed[index].senderID = sender.id
            case .failure(.emptyPool(let pool)):
                throw ValidationError(
                    "no_sender_in_pool", "\(prefix)pool \(pool) has no senders; add one with POST /v1/senders {\"pool\": \"\(pool)\", …}",
                    kind: .unusable)
            case .failure(.unsupportedType(let pool, let type)):
                throw ValidationError(
                    "unsupported_by_pool",
                    "\(prefix)no sender of pool \(pool) can send this \(type) message: web sessions send \(Self.webSessionScope); add a cloud_api sender to the pool",
                    kind: .unusable)
            }
        }
        return routed
    }

    /// Every sender the messages name exists and can send their type.
    private func checkSenders(_ messages: [NewMessage]) async throws {
        var known: [String: SenderRecord] = [:]
        for (index, message) in messages.enumerated() {
            let prefix = messages.count > 1 ? "messages[\(index)]: " : ""
            if known[message.senderID] == nil {
                guard let sender = try await senders.sender(message.senderID) else {
                    throw ValidationError(
                        "unknown_sender",
                        "\(prefix)no sender has the id \(message.senderID); create it with POST /v1/senders or list them with GET /v1/senders",
                        kind: .unusable)
                }
                known[message.senderID] = sender
            }
            let sender = known[message.senderID]!
            guard sender.kind.serves(MessageNeeds(type: message.type, payload: message.payload)) else {
                throw ValidationError(
                    "unsupported_by_sender",
                    "\(prefix)sender \(sender.id) is a \(sender.kind.rawValue), which cannot send this \(message.type) message; it sends \(Self.webSessionScope). Send it through a cloud_api sender",
                    kind: .unusable)
            }
        }
    }

    /// What web sessions send, for error messages.
    static let webSessionScope =
        "\(SenderKind.webSessionTypes.sorted().joined(separator: ", ")) messages, media given by link (not by id or media_key)"

    /// Every media library asset the messages name exists, and is of a type Meta takes where it is used.
    private func checkMediaKeys(_ messages: [NewMessage]) async throws {
        var mimeTypes: [String: String] = [:]
        for (index, message) in messages.enumerated() where MediaReferences.mayContain(message.payload) {
            let prefix = messages.count > 1 ? "messages[\(index)]: " : ""
            guard let object = try? JSONSerialization.jsonObject(with: Data(message.payload.utf8)) else { continue }
            for reference in MediaReferences.references(in: object) {
                if mimeTypes[reference.key] == nil {
                    guard let asset = try await store.asset(reference.key) else {
                        throw ValidationError(
                            "unknown_media_key", "\(prefix)no media asset has the key \(reference.key); register it with POST /v1/media first",
                            kind: .unusable)
                    }
                    mimeTypes[reference.key] = asset.mimeType
                }
                do {
                    try MediaRules.validate(mimeType: mimeTypes[reference.key]!, sentAs: reference.mediaType, key: reference.key)
                } catch {
                    throw ValidationError(error.code, prefix + error.message, kind: error.kind)
                }
            }
        }
    }

    /// Stores `message`, then waits up to `timeout` for its first attempt's outcome: the state it reached
    /// (`sent`, `failed`, `retry_scheduled` …), or `nil` when the attempt did not finish in time. A replayed
    /// or conflicting idempotency key returns at once.
    public func acceptAndWait(_ message: NewMessage, timeout: Duration) async throws -> (EnqueueResult, MessageState?) {
        var result: EnqueueResult?
        let state = try await waiters.wait(for: message.id, timeout: timeout) {
            let accepted = try await accept([message])[0]
            result = accepted
            if case .created = accepted { return true }
            return false
        }
        return (result!, state)
    }

    /// Throws `ValidationError` (`opted_out`, a 422) when a request that asks to respect the opt-out list
    /// (`respect_opt_out`) goes to a number on it; `prefix(index)` names the request in the message.
    public func refuseOptedOut(_ requests: [MessageRequest], prefix: (Int) -> String = { _ in "" }) async throws {
        let asking = requests.indices.filter { requests[$0].respectsOptOut }
        guard !asking.isEmpty else { return }
        let numbers = asking.map { try? PhoneNumber.normalize(requests[$0].recipient) }
        let optedOut = try await store.optedOut(numbers.compactMap { $0 })
        for (index, number) in zip(asking, numbers) where number.map(optedOut.contains) == true {
            throw ValidationError(
                "opted_out",
                "\(prefix(index))\(requests[index].recipient) is on the opt-out list (DELETE /v1/opt-outs/{phone} takes it off); nothing was stored",
                kind: .unusable)
        }
    }

    /// Records that the application knows `id` by Pigeon's id (the drop-in endpoint answered with it), so
    /// forwarded statuses carry that id instead of Meta's.
    public func rememberClientID(_ id: MessageID) async throws {
        try await store.rememberClientID(id)
    }

    /// A page of forwards to the application, newest first.
    public func forwards(status: ForwardStatus?, limit: Int, cursor: Int64?) async throws -> (forwards: [ForwardRecord], next: Int64?) {
        try await store.forwards(status: status, limit: limit, cursor: cursor)
    }

    /// Gives a dead-lettered forward a fresh budget; nil if there is none with this id, false if it is not failed.
    public func retryForward(_ id: Int64) async throws -> Bool? {
        try await store.retryForward(id, now: clock.now())
    }

    /// A message with its attempts and the status events Meta reported, or `nil`.
    public func message(_ id: MessageID) async throws -> MessageDetail? {
        guard let record = try await store.message(id) else { return nil }
        return MessageDetail(record: record, history: try await store.attempts(of: id), events: try await store.events(of: id))
    }

    /// A page of messages.
    public func list(_ filter: MessageFilter, limit: Int, cursor: Int64?) async throws -> MessagePage {
        try await store.list(filter, limit: limit, cursor: cursor)
    }

    /// Gives a failed message a fresh budget; `nil` if there is no such message.
    public func retry(_ id: MessageID) async throws -> Transition? {
        try await apply(.operatorRetry(maxAttempts: nil), to: id)
    }

    /// Cancels a queued or scheduled message; `nil` if there is no such message.
    public func cancel(_ id: MessageID) async throws -> Transition? {
        try await apply(.cancel, to: id)
    }

    private func apply(_ event: LifecycleEvent, to id: MessageID) async throws -> Transition? {
        let now = clock.now()
        let lifecycle = self.lifecycle
        let result = try await store.update(id, now: now) { lifecycle.transition($0, event, now: now) }
        if let state = result?.state, MessageStatus.claimable.contains(state.status) { signal.notify() }
        return result
    }

    /// Retries every failed message matching `filter`; returns how many were requeued.
    public func retryAll(_ filter: MessageFilter) async throws -> Int {
        var filter = filter
        filter.status = .failed
        let now = clock.now()
        let lifecycle = self.lifecycle
        let moved = try await store.updateAll(filter, limit: Self.bulkRetryLimit, now: now) {
            lifecycle.transition($0, .operatorRetry(maxAttempts: nil), now: now)
        }
        if moved > 0 { signal.notify() }
        return moved
    }

    /// Deletes a message unless an attempt is in flight.
    public func delete(_ id: MessageID) async throws -> DeleteResult {
        try await store.delete(id) { $0.status != .sending }
    }

    /// Counts, recent attempts, paused and throttled senders.
    public func stats(window: Duration = .seconds(3600)) async throws -> EngineStats {
        let now = clock.now()
        return EngineStats(
            delivery: try await store.stats(windowStart: now.adding(.zero - window)),
            senders: try await senders.reload(),
            sentToday: try await senders.sentToday(),
            throttledSenders: pacer.holds(now: now),
            intake: try await store.intakeStats(),
            media: try await store.mediaStats())
    }
}

/// A snapshot for `/v1/stats`.
public struct EngineStats: Sendable {
    /// Counts per status and attempts in the last hour.
    public var delivery: DeliveryStats
    /// Every sender, by id.
    public var senders: [SenderRecord]
    /// Attempts each sender started today in its time zone.
    public var sentToday: [String: Int]
    /// Senders held by this process's pacer after throttling, with the time each is released.
    public var throttledSenders: [String: Date]
    /// What waits in the webhook and forwarding pipeline.
    public var intake: IntakeStats
    /// The media library in numbers.
    public var media: MediaStats
}

/// A message with everything known about it.
public struct MessageDetail: Sendable {
    /// The message.
    public var record: MessageRecord
    /// Its attempts, oldest first.
    public var history: [AttemptRecord]
    /// The statuses Meta reported for it, in Meta's timestamp order.
    public var events: [MessageEvent]
}
