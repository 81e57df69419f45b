import Foundation

/// What to do with a status report for a message in a given state.
public enum StatusDecision: Sendable, Hashable {
    /// Apply this transition now (`.unchanged`: record the event only).
    case apply(Transition)
    /// Keep the report and try again later: an attempt is in flight and its outcome must land first.
    case wait
}

/// The rules for status webhooks, in one place: delivery statuses move a message up the hierarchy and
/// never down; an asynchronous `failed` is classified by Meta's error code exactly like a synchronous error
/// and acted on unless the message already reached the user; `played` and unknown statuses are recorded only.
public struct StatusSettlement: Sendable {
    let lifecycle: Lifecycle
    let classifier: ErrorClassifier

    public init(lifecycle: Lifecycle, classifier: ErrorClassifier) {
        self.lifecycle = lifecycle
        self.classifier = classifier
    }

    /// The decision for `report` on a message in `state`; `jitter` is a random value in 0..<1; `refreshesMedia`
    /// when the message names media library assets (see `LifecycleEvent.failed`).
    public func decide(
        _ state: MessageState, _ report: StatusReport, now: Date, jitter: Double, refreshesMedia: Bool = false
    ) -> StatusDecision {
        if state.status == .sending { return .wait }
        if let status = report.deliveryStatus {
            // Webhooks arrive out of order: a `sent` for the very wamid Meta already reported failed is older
            // news and must not undo the failure (or the retry it scheduled). `delivered` and `read` still
            // count: the user got the message.
            if status == .sent, state.wamid == report.wamid, state.lastError != nil, state.status.deliveryRank == nil {
                return .apply(.unchanged)
            }
            return .apply(lifecycle.transition(state, .reported(status, wamid: report.wamid), now: now))
        }
        if report.isFailure {
            return .apply(
                lifecycle.transition(
                    state, .reportedFailure(classification(of: report), jitter: jitter, refreshesMedia: refreshesMedia), now: now))
        }
        return .apply(.unchanged)
    }

    /// The classification of a `failed` status: its first error through the classifier.
    public func classification(of report: StatusReport) -> Classification {
        guard let error = report.errors.first else {
            return PigeonCause.failedStatusWithoutError.classification(
                details: "Meta reported the message failed and gave no error code")
        }
        return classifier.classify(.graphError(error))!
    }
}
