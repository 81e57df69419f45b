import Foundation
import Logging
import PigeonCore

extension Dispatcher {
    /// Sends one claimed message and records the outcome.
    func attempt(_ record: MessageRecord) async {
        defer { finish(record.id) }
        let attempt = record.state.attempts
        let started = ContinuousClock.now
        let outcome = await transport.send(OutboundMessage(id: record.id, senderID: record.senderID, payload: record.payload))
        let elapsed = ContinuousClock.now - started
        let now = clock.now()

        let classification = classifier.classify(outcome)
        let event: LifecycleEvent
        if case .accepted(let wamid) = outcome {
            event = .accepted(wamid: wamid)
        } else {
            event = .failed(classification!, jitter: random())
        }
        var metadata: Logger.Metadata = [
            "message": "\(record.id)", "attempt": "\(attempt)", "sender": "\(record.senderID)",
        ]
        guard case .moved(let state, let effects) = lifecycle.transition(record.state, event, now: now) else {
            logger.error("attempt outcome could not be applied", metadata: metadata)
            return
        }
        let completion = AttemptCompletion(
            messageID: record.id, seq: record.seq, owner: configuration.workerID, attempt: attempt, state: state,
            outcome: Self.attemptOutcome(outcome), error: classification, finishedAt: now,
            durationMs: Int(elapsed / .milliseconds(1)))
        do {
            let applied = try await store.complete([completion], now: now)
            if !applied.contains(record.id) {
                logger.warning("lease lost before the outcome was recorded; another worker owns it now", metadata: metadata)
                return
            }
        } catch {
            metadata["error"] = "\(error)"
            logger.error("recording the attempt failed; the lease will expire and the attempt counts as in doubt", metadata: metadata)
            return
        }
        await carryOut(effects, sender: record.senderID, now: now)
        log(record: record, state: state, classification: classification, metadata: metadata)
        if classification == nil { pacer.succeeded(record.senderID, now: now) }
        if MessageStatus.claimable.contains(state.status) { signal.notify() }
    }

    private func finish(_ id: MessageID) {
        let remaining = inFlight.withLock { inFlight in
            inFlight[id] = nil
            return inFlight.count
        }
        if configuration.maxInFlight - remaining == configuration.claimThreshold { signal.notify() }
    }

    private func carryOut(_ effects: [LifecycleEffect], sender: String, now: Date) async {
        for effect in effects {
            switch effect {
            case .pauseSender(let error):
                do {
                    try await store.pauseSender(sender, because: error, now: now)
                    logger.error(
                        "sender paused: Meta reported a sender-level error; its messages stay queued until POST /v1/senders/\(sender)/resume",
                        metadata: ["sender": "\(sender)", "code": "\(error.code.map(String.init) ?? "-")", "title": "\(error.title)"])
                } catch {
                    logger.error("pausing sender failed", metadata: ["sender": "\(sender)", "error": "\(error)"])
                }
            case .slowSender:
                let until = pacer.throttled(sender, now: now)
                logger.warning("sender throttled by Meta; holding sends", metadata: ["sender": "\(sender)", "until": "\(until)"])
            }
        }
    }

    private func log(record: MessageRecord, state: MessageState, classification: Classification?, metadata: Logger.Metadata) {
        guard let classification else {
            logger.debug("message sent", metadata: metadata.merging(["wamid": "\(state.wamid ?? "")"]) { $1 })
            return
        }
        var metadata = metadata
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
        case .graphError, .httpError, .notDelivered: .error
        }
    }
}
