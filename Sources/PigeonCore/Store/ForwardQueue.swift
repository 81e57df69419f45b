import Foundation

/// Durable forwards to the application: claimed under a lease like messages, in order per key.
public protocol ForwardQueue: Sendable {
    /// Claims up to `limit` due forwards to `destination` for `owner` until `leaseUntil`: only the oldest
    /// unfinished forward of each key is due, so a key's events arrive in order. Each returned forward is
    /// `sending`, its attempt counted.
    func claimForwards(
        to destination: ForwardDestination, limit: Int, owner: String, now: Date, leaseUntil: Date
    ) async throws
        -> [ForwardRecord]

    /// Records how an attempt ended, if `owner` still holds the lease.
    func finishForward(_ id: Int64, owner: String, outcome: ForwardOutcome, now: Date) async throws

    /// Returns forwards whose lease expired before `now` to the queue (their worker died); returns how many.
    func reclaimForwards(now: Date) async throws -> Int

    /// When the earliest queued or scheduled forward to `destination` falls due.
    func nextForwardDue(to destination: ForwardDestination) async throws -> Date?

    /// A page of forwards, newest first, optionally in one status.
    func forwards(status: ForwardStatus?, limit: Int, cursor: Int64?) async throws -> (forwards: [ForwardRecord], next: Int64?)

    /// Gives a failed forward a fresh budget; nil if there is none with this id, false if it is not failed.
    func retryForward(_ id: Int64, now: Date) async throws -> Bool?

    /// Marks message `id` as known to the application by Pigeon's id (the drop-in endpoint answered with it),
    /// so forwarded statuses carry that id.
    func rememberClientID(_ id: MessageID) async throws
}
