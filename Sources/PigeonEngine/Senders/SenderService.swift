import Foundation
import Logging
import PigeonCore
import Synchronization

/// The configured senders for the API and the engine: creates, changes and deletes them in the store, feeds
/// their events through `SenderLifecycle`, carries out what each transition asks, and keeps a snapshot of
/// every sender with its opened credentials for the send path (refreshed by `SenderMonitor`, and at once
/// for changes made here).
public final class SenderService: Sendable {
    /// The store.
    public let store: any SenderRegistry & MessageAdministration & MessageQueue
    /// The sender rules in use.
    public let lifecycle: SenderLifecycle
    let messages: Lifecycle
    let sealer: any SecretSealing
    let clock: any PigeonClock
    let signal: WakeSignal
    let control: (any SenderControl)?
    let logger: Logger

    private struct Entry: Sendable {
        var record: SenderRecord
        var secrets: SenderSecrets
    }
    private let snapshot = Mutex<[String: Entry]>([:])
    /// Round-robin position for pooled messages.
    private let turns = Atomic<Int>(0)
    /// New contacts this process messaged per sender since its quota was last read from its bridge.
    private let newContacts = Mutex<[String: Int]>([:])
    /// How many waiting messages one reroute transaction examines.
    static let rerouteBatch = 500

    public init(
        store: any SenderRegistry & MessageAdministration & MessageQueue, lifecycle: SenderLifecycle, messages: Lifecycle, sealer: any SecretSealing,
        clock: any PigeonClock, signal: WakeSignal, control: (any SenderControl)?, logger: Logger,
        actionWait: Duration = SenderService.defaultActionWait
    ) {
        self.actionWait = actionWait
        self.store = store
        self.lifecycle = lifecycle
        self.messages = messages
        self.sealer = sealer
        self.clock = clock
        self.signal = signal
        self.control = control
        self.logger = logger
    }

    // MARK: Reading

    /// Reads every sender from the store into the snapshot; returns them by id.
    @discardableResult
    public func reload() async throws -> [SenderRecord] {
        let records = try await store.senders()
        let entries = Dictionary(uniqueKeysWithValues: records.map { ($0.id, Entry(record: $0, secrets: opened($0))) })
        snapshot.withLock { $0 = entries }
        return records
    }

    /// Sender `id` from the snapshot, or from the store when the snapshot does not know it yet.
    public func sender(_ id: String) async throws -> SenderRecord? {
        if let cached = cached(id) { return cached }
        guard let record = try await store.sender(id) else { return nil }
        remember(record)
        return record
    }

    /// Sender `id` as of the last snapshot.
    public func cached(_ id: String) -> SenderRecord? { snapshot.withLock { $0[id]?.record } }

    /// Every sender as of the last snapshot, by id.
    public var all: [SenderRecord] { snapshot.withLock { $0.values.map(\.record) }.sorted { $0.id < $1.id } }

    /// The senders whose kind is not in `kinds`, as of the last snapshot.
    public func ids(notOf kinds: Set<SenderKind>) -> Set<String> {
        snapshot.withLock { snapshot in Set(snapshot.values.filter { !kinds.contains($0.record.kind) }.map(\.record.id)) }
    }

    /// The access token to send through sender `id` with, if it has one (the send path's lookup).
    public func accessToken(for id: String) -> String? { snapshot.withLock { $0[id]?.secrets.accessToken } }

    /// The limits of every paced sender as of the last snapshot, for claims.
    public func pacing(random: @escaping @Sendable () -> Double) -> SenderPacing {
        SenderPacing(limits: snapshot.withLock { $0.mapValues(\.record.limits) }, random: random)
    }

    /// How many attempts each sender started today (in its time zone), counted against its daily cap.
    public func sentToday() async throws -> [String: Int] {
        let (states, now) = (try await store.paceStates(), clock.now())
        return snapshot.withLock { snapshot in
            snapshot.mapValues { SenderPacing.sentToday(states[$0.record.id], now: now, timeZone: $0.record.limits.timeZone) }
        }
    }

    /// The credentials of sender `id`, opened.
    public func secrets(for id: String) -> SenderSecrets? { snapshot.withLock { $0[id]?.secrets } }

    // MARK: Changing

    /// Stores a new sender from `draft`; returns nil (and changes nothing) when its id is taken.
    public func create(_ draft: SenderDraft) async throws -> SenderRecord? {
        let (record, effects) = SenderChange.create(draft, sealedSecrets: try sealer.seal(draft.secrets), now: clock.now())
        guard try await store.insertSender(record) else { return nil }
        remember(record, secrets: draft.secrets)
        logger.info("sender created", metadata: ["sender": "\(record.id)", "kind": "\(record.kind.rawValue)", "pool": "\(record.pool)"])
        await carryOut(effects, before: nil, after: record)
        return record
    }

    /// Applies `patch` to sender `id`; returns the changed sender, or nil when there is none.
    public func update(_ id: String, _ patch: SenderPatch) async throws -> SenderRecord? {
        let now = clock.now()
        let (sealer, lifecycle) = (sealer, lifecycle)
        guard
            let (before, after) = try await store.updateSender(
                id,
                { record in
                    let secrets = SenderChange.merge(patch, into: try sealer.open(record.sealedSecrets))
                    return SenderChange.apply(patch, to: record, sealedSecrets: try sealer.seal(secrets), lifecycle: lifecycle, now: now).0
                })
        else { return nil }
        let effects = SenderChange.apply(patch, to: before, sealedSecrets: after.sealedSecrets, lifecycle: lifecycle, now: now).1
        remember(after)
        if patch.replacesCredentials { logger.info("sender credentials replaced", metadata: ["sender": "\(id)"]) }
        await carryOut(effects, before: before, after: after)
        return after
    }

    /// Feeds `event` to sender `id`'s lifecycle and carries out what it asks; returns the sender before and
    /// after, or nil when there is no such sender.
    @discardableResult
    public func apply(_ event: SenderEvent, to id: String) async throws -> (before: SenderRecord, after: SenderRecord)? {
        try await record(SenderObservation(event: event), of: id)
    }

    /// Records what a health check or bridge action observed of sender `id` (its event through the lifecycle,
    /// and Meta's report on a number) and carries out what the transition asks.
    @discardableResult
    public func record(_ observation: SenderObservation, of id: String) async throws -> (before: SenderRecord, after: SenderRecord)? {
        let now = clock.now()
        let lifecycle = lifecycle
        guard
            let (before, after) = try await store.updateSender(
                id,
                { record in
                    var next = record
                    if let event = observation.event { next.health = lifecycle.transition(record.health, event, now: now).health }
                    if observation.restricted, observation.restrictedUntil.map({ $0 > now }) ?? true {
                        next.health = lifecycle.transition(next.health, .restricted(until: observation.restrictedUntil), now: now).health
                    }
                    if let capping = observation.capping {
                        next.health.newContactQuota = capping.remaining
                        next.health.quotaCycleEnd = capping.cycleEnd
                    }
                    if let number = observation.numberHealth { next.numberHealth = number }
                    if observation.event != nil {
                        next.health.pairingStep = next.health.status == .needsPairing ? observation.pairingStep ?? next.health.pairingStep : nil
                    }
                    if next != record { next.updatedAt = now }
                    return next
                })
        else { return nil }
        if observation.capping != nil { _ = newContacts.withLock { $0.removeValue(forKey: id) } }
        remember(after)
        if after.health.restrictedUntil != before.health.restrictedUntil, let until = after.health.restrictedUntil {
            logger.warning(
                "sender restricted from new contacts: messages to them wait, existing chats keep flowing",
                metadata: ["sender": "\(id)", "until": "\(until)"])
        }
        guard let event = observation.event else { return (before, after) }
        if before.health.status != after.health.status {
            logger.info(
                "sender \(after.health.status.rawValue)",
                metadata: ["sender": "\(id)", "was": "\(before.health.status.rawValue)", "event": "\(event)"])
        }
        await carryOut(lifecycle.transition(before.health, event, now: now).effects, before: before, after: after)
        return (before, after)
    }

    /// Checks sender `id`'s health now (a Cloud API number's health status, a web session's status at its
    /// bridge) and records what was found; with `next`, first records when the check after this one is due.
    public func check(_ id: String, next: Date? = nil) async throws {
        var record = try await sender(id)
        if let next {
            record = try await store.updateSender(id) { record in
                var record = record
                record.health.nextCheckAt = next
                return record
            }?.after
        }
        guard let record else { return }
        remember(record)
        await carryOut([.probe], before: record, after: record)
    }

    /// Marks sender `id` restricted from new contacts after one of its messages met a restriction (463);
    /// until when WhatsApp did not say here (`SenderLifecycle.defaultRestriction` unless already known).
    public func restrict(_ id: String) async throws {
        try await apply(.restricted(until: nil), to: id)
    }

    /// Counts a message this process sent through sender `id` to a contact it had no chat with, against
    /// its new-contact quota until the quota is read again from the bridge.
    public func countNewContact(_ id: String) {
        newContacts.withLock { $0[id, default: 0] += 1 }
    }

    /// Applies a Cloud API account webhook to the numbers of its business account (every Cloud API number when
    /// none names that account): a ban takes them out of sending (`AccountUpdate.senderEvent`); anything else
    /// checks their health now.
    public func accountUpdate(_ update: AccountUpdate) async throws {
        let numbers = try await reload().filter { $0.kind == .cloudAPI }
        let named = numbers.filter { update.wabaID != nil && $0.settings.wabaID == update.wabaID }
        for number in named.isEmpty ? numbers : named {
            if let event = update.senderEvent, !named.isEmpty {
                try await apply(event, to: number.id)
            } else {
                try await check(number.id)
            }
        }
    }

    /// Asks web session `id`'s bridge for what pairing it needs (its QR code, or a pairing code); nil when
    /// there is no such sender.
    public func pair(_ id: String, _ request: PairingRequest) async throws -> PairingAnswer? {
        guard let record = try await sender(id) else { return nil }
        guard record.kind == .webSession, let control = control as? any PairingControl else { return .unsupported }
        return await control.pair(request, sender: record, secrets: secrets(for: id) ?? opened(record))
    }

    /// Remembers that sender `id` has a chat with `contact` (`ContactReach.contactKey`).
    public func recordContact(_ contact: String, of id: String) async throws {
        try await store.recordContacts([SenderContact(senderID: id, contact: contact)], now: clock.now())
    }

    /// New contacts this process messaged through sender `id` since its quota was last read.
    public func newContactsSent(_ id: String) -> Int { newContacts.withLock { $0[id] ?? 0 } }

    /// What the send path needs of sender `id`, in one look at the snapshot: its record, its access token and,
    /// for a web session, its bridge; nil for a sender the snapshot does not know.
    public func sending(_ id: String) -> (record: SenderRecord, accessToken: String?, bridge: BridgeEndpoint?)? {
        snapshot.withLock { snapshot in
            snapshot[id].map { ($0.record, $0.secrets.accessToken, $0.record.bridge($0.secrets)) }
        }
    }

    /// Pauses sender `id` after a sender-level error (such as 190, an expired token) reported for one of its
    /// messages (a web session instead goes on its reconnect schedule: `SenderKind.event(forSenderError:)`);
    /// a sender without a record (messages stored by an earlier version) gets one, paused.
    public func senderError(_ id: String, _ error: Classification) async throws {
        let kind = try await sender(id)?.kind ?? .cloudAPI
        let event = kind.event(forSenderError: error.code, title: error.title)
        if try await apply(event, to: id) != nil { return }
        let draft = SenderDraft(
            id: id, kind: .cloudAPI, pool: SenderRecord.defaultPool, limits: .unpaced, settings: SenderSettings(),
            secrets: SenderSecrets(), enabled: true)
        var (record, _) = SenderChange.create(draft, sealedSecrets: [], now: clock.now())
        record.health = lifecycle.transition(record.health, event, now: clock.now()).health
        if try await !store.insertSender(record) { try await apply(event, to: id) }
        remember(record)
    }

    /// Deletes sender `id`. Unless `force`, it is refused while unsent messages are pinned to it; with
    /// `force`, those not in flight are cancelled first. Returns what happened and how many were cancelled.
    public func delete(_ id: String, force: Bool) async throws -> (SenderDeletion, cancelled: Int) {
        var cancelled = 0
        if let existing = try await sender(id) { try await reroute(existing.pool, leaving: id) }
        if force, try await sender(id) != nil {
            let (messages, now) = (messages, clock.now())
            for status in [MessageStatus.queued, .retryScheduled] {
                cancelled += try await store.updateAll(
                    MessageFilter(status: status, senderID: id), limit: MessageService.bulkRetryLimit, now: now
                ) { messages.transition($0, .cancel, now: now) }
            }
        }
        let result = try await store.deleteSender(id)
        if result == .deleted {
            _ = snapshot.withLock { $0.removeValue(forKey: id) }
            logger.info("sender deleted", metadata: ["sender": "\(id)", "cancelled_messages": "\(cancelled)"])
        }
        return (result, cancelled)
    }

    /// Makes sure the Cloud API number configured by `PIGEON_META_PHONE_NUMBER_ID` exists as a sender in the
    /// default pool, with the configured token (`nil` in the sandbox, whose transport needs none).
    public func ensureCloudSender(_ id: String, accessToken: String?) async throws {
        if let existing = try await store.sender(id) {
            let secrets = try sealer.open(existing.sealedSecrets)
            if let accessToken, secrets.accessToken != accessToken {
                var patch = SenderPatch()
                patch.accessToken = accessToken
                _ = try await update(id, patch)
            }
            return
        }
        let draft = SenderDraft(
            id: id, kind: .cloudAPI, pool: SenderRecord.defaultPool, limits: .unpaced, settings: SenderSettings(),
            secrets: SenderSecrets(accessToken: accessToken), enabled: true)
        _ = try await create(draft)
    }

    // MARK: Pools

    /// The sender each new pooled message goes to (`PoolRouting.choices`, in turn), given its pool and needs,
    /// from the snapshot (read again when it does not know a pool).
    public func route(_ messages: [(pool: String, needs: MessageNeeds)]) async throws -> [Result<SenderRecord, PoolRouting.Refusal>] {
        guard !messages.isEmpty else { return [] }
        var senders = all
        if messages.contains(where: { message in !senders.contains { $0.pool == message.pool } }) { senders = try await reload() }
        let first = turns.add(messages.count, ordering: .relaxed).oldValue
        var choices: [String: Result<[SenderRecord], PoolRouting.Refusal>] = [:]
        return messages.enumerated().map { index, message in
            let poolHasWeb = senders.contains { $0.pool == message.pool && $0.kind == .webSession }
            let key = message.pool + "\u{0}" + message.needs.type + (poolHasWeb && !message.needs.webSendable ? "\u{0}" : "")
            let options = choices[key] ?? PoolRouting.choices(pool: message.pool, needs: message.needs, in: senders)
            choices[key] = options
            return options.map { PoolRouting.pick($0, turn: first + index) }
        }
    }

    /// Moves the waiting pooled messages of `pool` off its senders that do not send, to those that do
    /// (`PoolRouting`); returns how many moved. With `leaving`, that sender's are moved too, to any other
    /// sender of the pool that can send their type (before it is deleted).
    @discardableResult
    public func reroute(_ pool: String, leaving: String? = nil) async throws -> Int {
        let senders = try await reload()
        var from = PoolRouting.stalled(pool: pool, in: senders)
        var targets = senders
        if let leaving {
            from.insert(leaving)
            targets = senders.filter { $0.id != leaving }.map { sender in
                var sender = sender
                if sender.health.status != .disabled { sender.health.status = .connected }
                return sender
            }
        }
        guard !from.isEmpty else { return 0 }
        let now = clock.now()
        let candidates = targets
        var moved = 0
        var after: Int64 = 0
        let sources = Mutex<[String: Int]>([:])
        while true {
            let (batch, last) = try await store.reassign(pool: pool, from: from, afterSeq: after, limit: Self.rerouteBatch) { record in
                let target = PoolRouting.target(for: record, in: candidates, turn: self.turns.add(1, ordering: .relaxed).oldValue, now: now)
                if target != nil { sources.withLock { $0[record.senderID, default: 0] += 1 } }
                return target
            }
            moved += batch
            guard let last else { break }
            after = last
        }
        if moved > 0 {
            logger.notice("pooled messages moved to other senders", metadata: ["pool": "\(pool)", "moved": "\(moved)"])
            signal.notify()
            for (id, count) in sources.withLock({ $0 }) {
                _ = try await store.updateSender(id) { record in
                    var record = record
                    record.health.failovers = (record.health.failovers ?? 0) + count
                    return record
                }
            }
        }
        return moved
    }

    // MARK: Effects

    /// How long a caller (an API request, a pass of the sender monitor) waits for the bridge or Meta to carry
    /// out a sender's actions (default 2 s); slower actions go on in the background and record what they
    /// find when they end.
    let actionWait: Duration
    /// The default `actionWait`.
    public static let defaultActionWait: Duration = .seconds(2)

    /// Carries out `effects` in order; what a bridge action leads to is fed back to the lifecycle before the
    /// next, so a caller sees the sender as its actions left it (unless they take longer than `actionWait`).
    private func carryOut(_ effects: [SenderEffect], before: SenderRecord?, after: SenderRecord) async {
        if after.sends && before?.sends != true {
            signal.notify()
            await rerouteLogged(after.pool)
        }
        var actions: [SenderEffect] = []
        for effect in effects {
            switch effect {
            case .alert(let text):
                logger.error("sender needs attention: \(text)", metadata: ["sender": "\(after.id)"])
            case .reroute:
                await rerouteLogged(after.pool)
            case .startSession, .restartSession, .stopSession, .logoutSession, .probe:
                actions.append(effect)
            }
        }
        guard let control, !actions.isEmpty else { return }
        let secrets = secrets(for: after.id) ?? SenderSecrets()
        let work = Task {
            for action in actions {
                guard let observation = await control.perform(action, sender: after, secrets: secrets) else { continue }
                do {
                    try await self.record(observation, of: after.id)
                } catch {
                    self.logger.error("recording a sender event failed", metadata: ["sender": "\(after.id)", "error": "\(error)"])
                }
            }
        }
        await Waiting.forTask(work, atMost: actionWait)
    }

    private func rerouteLogged(_ pool: String) async {
        do {
            try await reroute(pool)
        } catch {
            logger.error("moving pooled messages failed; the sender monitor tries again", metadata: ["pool": "\(pool)", "error": "\(error)"])
        }
    }

    private func remember(_ record: SenderRecord, secrets: SenderSecrets? = nil) {
        let secrets = secrets ?? opened(record)
        snapshot.withLock { $0[record.id] = Entry(record: record, secrets: secrets) }
    }

    private func opened(_ record: SenderRecord) -> SenderSecrets {
        do {
            return try sealer.open(record.sealedSecrets)
        } catch {
            logger.error("sender credentials cannot be opened", metadata: ["sender": "\(record.id)", "error": "\(error)"])
            return SenderSecrets()
        }
    }
}
