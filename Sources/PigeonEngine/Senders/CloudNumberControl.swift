import Foundation
import PigeonCore

/// The `SenderControl` of Cloud API numbers: a number has no session to start or stop, so a start, restart
/// or probe is a health check (`check`), and its answer is the observation: Meta's report and what it means
/// (`NumberHealth.event`), a sender-level refusal (such as 190, an expired token) that pauses it, or no event
/// when Meta could not be reached or refused for another reason (the check's time is recorded either way).
public struct CloudNumberControl: SenderControl {
    /// Checks a number: its health, Meta's refusal, or nil when there was no answer.
    public typealias Check = @Sendable (_ id: String, _ accessToken: String?, _ now: Date) async -> Result<NumberHealth, GraphError>?

    let check: Check
    let classifier: ErrorClassifier
    let clock: any PigeonClock

    public init(classifier: ErrorClassifier, clock: any PigeonClock, check: @escaping Check) {
        self.check = check
        self.classifier = classifier
        self.clock = clock
    }

    public func perform(_ effect: SenderEffect, sender: SenderRecord, secrets: SenderSecrets) async -> SenderObservation? {
        guard sender.kind == .cloudAPI, [.startSession, .restartSession, .probe].contains(effect) else { return nil }
        let now = clock.now()
        // A check that found nothing out still counts as one, so the next waits its turn.
        var unchanged = sender.numberHealth
        unchanged.checkedAt = now
        switch await check(sender.id, secrets.accessToken, now) {
        case nil:
            return SenderObservation(event: nil, numberHealth: unchanged)
        case .success(let health):
            return SenderObservation(event: health.event, numberHealth: health)
        case .failure(let error):
            guard let classification = classifier.classify(.graphError(error)), classification.errorClass == .senderLevel else {
                return SenderObservation(event: nil, numberHealth: unchanged)
            }
            return SenderObservation(event: .senderError(code: error.code, title: error.title), numberHealth: unchanged)
        }
    }
}
