import Foundation

/// Where a stored status report goes once its message has been looked up (by wamid, else by callback
/// data): the one decision both stores apply, when a report arrives and on each later try.
///
/// ```
/// no message yet, or an attempt in flight (wait) ──> retry(at:)   pending, tried again with backoff
/// matched, nothing to change                      ──> record(on:)  outcome `recorded`
/// matched, the message moves                      ──> move(…)      outcome `applied` when the store's guarded
///                                                                  write applies, else `recorded`
/// ```
public enum EventPlacement: Sendable, Hashable {
    /// Keep the event pending; try it again at this time (see `EventMatching.retryDelay(afterTries:)`).
    case retry(at: Date)
    /// The event belongs to this message but changes nothing.
    case record(on: MessageRecord)
    /// The event moves its message from `message.state` to `state`, with `effects`.
    case move(MessageRecord, to: MessageState, effects: [LifecycleEffect])

    /// The placement of `report` on `message` (nil when none matched), after `tries` earlier tries (0 for a
    /// report just received); `decide` is the settlement rule (`StatusSettlement.decide`).
    public static func of(
        _ report: StatusReport, on message: MessageRecord?, tries: Int, now: Date,
        decide: (MessageRecord, StatusReport) -> StatusDecision
    ) -> EventPlacement {
        guard let message, case .apply(let transition) = decide(message, report) else {
            return .retry(at: now.adding(EventMatching.retryDelay(afterTries: tries)))
        }
        guard case .moved(let state, let effects) = transition else { return .record(on: message) }
        return .move(message, to: state, effects: effects)
    }

    /// The message the event was matched to, if any.
    public var message: MessageRecord? {
        switch self {
        case .retry: nil
        case .record(let message), .move(let message, _, _): message
        }
    }
}
