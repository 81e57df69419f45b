import Foundation

/// The routing rules of pooled messages, in one place: which sender a new pooled message goes to, when a
/// waiting one may leave its sender, and where it goes.
///
/// A pooled message is always assigned to one sender of its pool (so the send path reads it like a pinned
/// one), but only ever waits on a sender that cannot send while another one of the pool can: then it is moved
/// (rerouted) — except a message whose last attempt is in doubt, which stays on its sender until its in-doubt
/// period ends, so the same content never goes out through two numbers before the first is settled.
public enum PoolRouting {
    /// Why a message cannot be routed in its pool.
    public enum Refusal: Error, Sendable, Hashable {
        /// The pool has no senders.
        case emptyPool(String)
        /// No sender of the pool can ever send this message (a template, or media by id, needs a Cloud API number).
        case unsupportedType(pool: String, type: String)
    }

    /// The senders of `pool` that can ever send a message that `needs` this, by id.
    public static func candidates(pool: String, needs: MessageNeeds, in senders: [SenderRecord]) -> [SenderRecord] {
        senders.filter { $0.pool == pool && $0.kind.serves(needs) }.sorted { $0.id < $1.id }
    }

    /// The senders a new message that `needs` this in `pool` is spread over (round robin): those that send
    /// now, else those that may later (it waits there, and moves when another sender of the pool sends).
    public static func choices(pool: String, needs: MessageNeeds, in senders: [SenderRecord]) -> Result<[SenderRecord], Refusal> {
        let able = candidates(pool: pool, needs: needs, in: senders)
        guard !able.isEmpty else {
            return .failure(senders.contains { $0.pool == pool } ? .unsupportedType(pool: pool, type: needs.type) : .emptyPool(pool))
        }
        let sending = able.filter(\.sends)
        let waiting = sending.isEmpty ? able.filter { $0.health.status != .disabled } : sending
        return .success(waiting.isEmpty ? able : waiting)
    }

    /// The `turn`-th of `choices`.
    public static func pick(_ choices: [SenderRecord], turn: Int) -> SenderRecord { choices[abs(turn) % choices.count] }

    /// Whether waiting pooled message `record` may leave its sender at `now`: not while its last attempt
    /// is in doubt and its in-doubt period has not ended.
    public static func mayMove(_ record: MessageRecord, now: Date) -> Bool {
        guard record.pool != nil, [.queued, .retryScheduled].contains(record.state.status) else { return false }
        if record.state.lastError?.errorClass == .inDoubt, let due = record.state.nextAttemptAt, due > now { return false }
        return true
    }

    /// Where waiting message `record` goes at `now`: the `turn`-th sender of its pool that sends now and can
    /// send it, other than its own; nil when it stays.
    public static func target(for record: MessageRecord, in senders: [SenderRecord], turn: Int, now: Date) -> String? {
        guard let pool = record.pool, mayMove(record, now: now) else { return nil }
        let needs = MessageNeeds(type: record.type, payload: record.payload)
        let targets = candidates(pool: pool, needs: needs, in: senders).filter { $0.sends && $0.id != record.senderID }
        guard !targets.isEmpty else { return nil }
        return targets[abs(turn) % targets.count].id
    }

    /// The senders of `pool` whose waiting pooled messages should move: those that do not send, while at
    /// least one sender of the pool does.
    public static func stalled(pool: String, in senders: [SenderRecord]) -> Set<String> {
        let members = senders.filter { $0.pool == pool }
        guard members.contains(where: \.sends) else { return [] }
        return Set(members.filter { !$0.sends }.map(\.id))
    }
}
