import Foundation
import Logging
import PigeonCore

extension Dispatcher {
    /// An attempt's outcome waiting to be recorded, with what to do once it is.
    struct PendingCompletion: Sendable {
        let record: MessageRecord
        let completion: AttemptCompletion
        let effects: [LifecycleEffect]
        let classification: Classification?
    }

    /// Hands one claimed message to the transport; its outcome joins the next batch write. A message naming
    /// media library assets first has them resolved to the sender's media ids (uploading where needed; from
    /// ids this process used a moment ago without a task or a read when it can).
    func start(_ record: MessageRecord) {
        outstanding.add(1, ordering: .relaxed)
        let started = ContinuousClock.now
        guard MediaReferences.mayContain(record.payload) else {
            send(record, payload: record.payload, media: nil, started: started)
            return
        }
        if let recent = media?.prepareFromRecent(record) {
            send(record, payload: recent.payload, media: recent.media, started: started)
            return
        }
        Task {
            guard let media else {
                let classification = PigeonCause.mediaUnsupported.classification(
                    details: "the message names a media_key, but this transport cannot upload media")
                finish(record, event: .failed(classification, jitter: random()), classification: classification, elapsed: .zero)
                return
            }
            switch await media.prepare(record, jitter: random()) {
            case .ready(let payload, let use):
                send(record, payload: payload, media: use, started: started)
            case .failed(let event):
                let classification: Classification? =
                    switch event {
                    case .failed(let classification, _, _), .mediaRefreshFailed(let classification): classification
                    default: nil
                    }
                finish(record, event: event, classification: classification, elapsed: ContinuousClock.now - started)
            }
        }
    }

    /// Sends unless the sender may not reach the recipient now (`ContactReach`: restricted, or its
    /// new-contact quota used up, and the recipient is a new contact), in which case the message is held.
    private func send(_ record: MessageRecord, payload: String, media: MediaUse?, started: ContinuousClock.Instant) {
        let sending = senders.sending(record.senderID)
        guard let sender = sending?.record, ContactReach.limits(sender, now: clock.now()) else {
            transmit(record, payload: payload, media: media, started: started, accessToken: sending?.accessToken, bridge: sending?.bridge)
            return
        }
        Task {
            let contact = ContactReach.contactKey(record.recipient)
            let known: Bool
            do {
                known = try await senders.store.knownContacts(of: sender.id, among: [contact]).contains(contact)
            } catch {
                let classification = PigeonCause.senderRestricted.classification(details: "the sender's chats could not be read: \(error)")
                finish(record, event: .held(until: clock.now().adding(.seconds(60)), classification), classification: classification, elapsed: .zero)
                return
            }
            let now = clock.now()
            if let (until, cause) = ContactReach.hold(sender, knownContact: known, newContactsSent: senders.newContactsSent(sender.id), now: now) {
                let classification = cause.classification(details: "a new contact for this sender; it waits until \(until)")
                do {
                    try await store.refundPace(sender.id, pacing: senders.pacing(random: random), now: now)
                } catch {
                    logger.warning("giving back a held message's pace failed", metadata: record.logMetadata.merging(["error": "\(error)"]) { $1 })
                }
                finish(record, event: .held(until: until, classification), classification: classification, elapsed: .zero)
                return
            }
            if !known { senders.countNewContact(sender.id) }
            transmit(record, payload: payload, media: media, started: started, accessToken: sending?.accessToken, bridge: sending?.bridge)
        }
    }

    private func transmit(
        _ record: MessageRecord, payload: String, media: MediaUse?, started: ContinuousClock.Instant, accessToken: String?,
        bridge: BridgeEndpoint?
    ) {
        let message = OutboundMessage(
            id: record.id, senderID: record.senderID, payload: payload, accessToken: accessToken, bridge: bridge)
        transport.send(message) { outcome in
            self.handle(outcome, of: record, media: media, elapsed: ContinuousClock.now - started)
        }
    }

    /// Frees a send slot; wakes the claim loop when enough are free to claim a batch.
    private func sendFinished() {
        let left = outstanding.subtract(1, ordering: .acquiringAndReleasing).newValue
        if left == 0 { settled.notify() }
        if left == configuration.maxInFlight - configuration.claimThreshold { signal.notify() }
    }

    /// Classifies an outcome and records it.
    private func handle(_ outcome: SendOutcome, of record: MessageRecord, media: MediaUse?, elapsed: Duration) {
        let classification = classifier.classify(outcome)
        mediaErrors?.recordSend(mediaError: classification?.errorClass == .media, now: clock.now())
        let event: LifecycleEvent
        if case .accepted(let wamid) = outcome {
            event = .accepted(wamid: wamid)
        } else {
            event = .failed(classification!, jitter: random(), refreshesMedia: MediaReferences.mayContain(record.payload))
        }
        finish(record, event: event, classification: classification, elapsed: elapsed, outcome: Self.attemptOutcome(outcome), media: media)
    }

    /// Applies the lifecycle to an attempt's end and queues the result for the next batch write.
    private func finish(
        _ record: MessageRecord, event: LifecycleEvent, classification: Classification?, elapsed: Duration,
        outcome: AttemptOutcome = .error, media: MediaUse? = nil
    ) {
        defer { sendFinished() }
        let now = clock.now()
        guard case .moved(let state, let effects) = lifecycle.transition(record.state, event, now: now) else {
            logger.error("attempt outcome could not be applied", metadata: record.logMetadata)
            finish([record.id])
            return
        }
        let completion = AttemptCompletion(
            messageID: record.id, seq: record.seq, owner: configuration.workerID,
            claimed: record.state, state: state, outcome: outcome, error: classification,
            startedAt: record.updatedAt, finishedAt: now, durationMs: Int(elapsed / .milliseconds(1)), media: media,
            senderID: record.senderID)
        pending.withLock {
            $0.append(PendingCompletion(record: record, completion: completion, effects: effects, classification: classification))
        }
        completionSignal.notify()
    }

    /// Records every queued outcome in one store call, then carries out effects and frees the slots.
    /// A completion whose lease was lost, or a failed write, leaves the message to the lease reaper (in doubt).
    func flushCompletions() async {
        let batch = pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !batch.isEmpty else { return }
        defer { finish(batch.map(\.record.id)) }
        let applied: Set<MessageID>
        do {
            applied = try await store.complete(batch.map(\.completion), now: clock.now())
        } catch {
            logger.error(
                "recording attempt outcomes failed; their leases will expire and the attempts count as in doubt",
                metadata: ["error": "\(error)", "count": "\(batch.count)"])
            return
        }
        var wake = false
        for item in batch {
            let state = item.completion.state
            guard applied.contains(item.record.id) else {
                logger.warning(
                    "lease lost before the outcome was recorded; another worker owns it now", metadata: item.record.logMetadata)
                continue
            }
            waiters.recorded(item.record.id, state)
            metrics.attempted(item.completion, createdAt: item.record.createdAt)
            await effects.carryOut(item.effects, sender: item.record.senderID, now: item.completion.finishedAt)
            log(record: item.record, state: state, classification: item.classification)
            if item.classification == nil { pacer.succeeded(item.record.senderID, now: item.completion.finishedAt) }
            if MessageStatus.claimable.contains(state.status) { wake = true }
        }
        if wake { signal.notify() }
    }

    /// Forgets the leases of `ids` once their outcome is recorded (or left to the lease reaper).
    private func finish(_ ids: [MessageID]) {
        inFlight.withLock { inFlight in
            for id in ids { inFlight[id] = nil }
        }
    }

    private func log(record: MessageRecord, state: MessageState, classification: Classification?) {
        guard let classification else {
            logger.debug("message sent", metadata: record.logMetadata.merging(["wamid": "\(state.wamid ?? "")"]) { $1 })
            return
        }
        var metadata = record.logMetadata
        metadata["class"] = "\(classification.errorClass.rawValue)"
        metadata["code"] = "\(classification.code.map(String.init) ?? "-")"
        metadata["title"] = "\(classification.title)"
        metadata["status"] = "\(state.status.rawValue)"
        if state.status == .failed {
            metadata["reason"] = "\(state.failureReason?.rawValue ?? "")"
            logger.warning("message dead-lettered", metadata: metadata)
        } else {
            metadata["next_attempt_at"] = "\(state.nextAttemptAt.map { "\($0)" } ?? "-")"
            logger.info("attempt failed; message requeued", metadata: metadata)
        }
    }

    static func attemptOutcome(_ outcome: SendOutcome) -> AttemptOutcome {
        switch outcome {
        case .accepted: .sent
        case .inDoubt: .inDoubt
        case .graphError, .httpError, .bridgeError, .notDelivered: .error
        }
    }
}
