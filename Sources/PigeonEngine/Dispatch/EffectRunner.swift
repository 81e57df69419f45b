import Foundation
import Logging
import PigeonCore

/// Carries out the effects a lifecycle transition asks for, for the dispatcher and the webhook processor
/// alike: pausing a sender through its lifecycle, or holding it in the pacer.
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
}
