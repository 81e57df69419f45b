import Foundation
import Logging
import PigeonCore

/// Carries out the effects a lifecycle transition asks for, for the dispatcher and the webhook processor
/// alike: pausing or restricting a sender through its lifecycle, or holding it in the pacer.
struct EffectRunner: Sendable {
    let senders: SenderService
    let pacer: SenderPacer
    let logger: Logger

    func carryOut(_ effects: [LifecycleEffect], sender: String, now: Date) async {
        for effect in effects {
            switch effect {
            case .pauseSender(let error):
                do {
                    try await senders.senderError(sender, error)
                    logger.error(
                        "sender-level error: the sender stops sending (a number is paused until POST /v1/senders/\(sender)/resume or a new token; a web session reconnects); its messages stay queued",
                        metadata: ["sender": "\(sender)", "code": "\(error.code.map(String.init) ?? "-")", "title": "\(error.title)"])
                } catch {
                    logger.error("pausing sender failed", metadata: ["sender": "\(sender)", "error": "\(error)"])
                }
            case .restrictSender:
                do {
                    try await senders.restrict(sender)
                } catch {
                    logger.error("marking the sender restricted failed", metadata: ["sender": "\(sender)", "error": "\(error)"])
                }
            case .slowSender:
                let until = pacer.throttled(sender, now: now)
                logger.warning("sender throttled by Meta; holding sends", metadata: ["sender": "\(sender)", "until": "\(until)"])
            }
        }
    }

    /// Acts on a Cloud API account webhook at once: a ban takes the account's numbers out of sending, and
    /// every one of its numbers (each Cloud API number, when none names that account) is checked again.
    func accountUpdate(_ update: AccountUpdate) async {
        logger.notice(
            "Meta reported a change to the business account; checking its numbers",
            metadata: ["field": "\(update.field)", "event": "\(update.event ?? "-")", "waba": "\(update.wabaID ?? "-")"])
        do {
            try await senders.accountUpdate(update)
        } catch {
            logger.error("acting on an account update failed", metadata: ["error": "\(error)"])
        }
    }
}
