import Foundation

/// The hot path of the store: accept, claim under a lease, and record outcomes. Each call is one transaction.
public protocol MessageQueue: Sendable {
    /// Stores new messages (all in one transaction) and returns one result per input, in order.
    func enqueue(_ messages: [NewMessage], now: Date) async throws -> [EnqueueResult]

    /// Claims up to `limit` due messages for `owner`, skipping senders that do not send now (`SenderRecord.sends`)
    /// and `excludedSenders`, and taking of each sender `pacing` limits no more than its allowance (recording
    /// what it took in the sender's `PaceState`, in the same transaction, so processes sharing the database
    /// share the limits): each returned message is `sending` with its attempt counted and leased, durably,
    /// before it is returned. Its `updatedAt` is the claim time (the attempt's start).
    func claim(
        limit: Int, owner: String, now: Date, leaseUntil: Date, excludedSenders: Set<String>, pacing: SenderPacing
    ) async throws
        -> [MessageRecord]

    /// Each paced sender's `PaceState`, by sender id.
    func paceStates() async throws -> [String: PaceState]
    /// Gives back what a claim took from `sender`'s pace for one message that was not sent after all (held
    /// for a new contact while the sender is restricted): `pacing.refund`, in one transaction.
    func refundPace(_ sender: String, pacing: SenderPacing, now: Date) async throws

    /// Records attempt outcomes (the new state and the attempt's history row). A completion applies only while
    /// its owner still holds the message's lease; returns the ids that applied.
    func complete(_ completions: [AttemptCompletion], now: Date) async throws -> Set<MessageID>

    /// Extends the leases `owner` holds on `ids` to `until`.
    func renewLeases(_ ids: [MessageID], owner: String, until: Date) async throws

    /// Finds up to `limit` sending messages whose lease expired before `now`, records their attempt as
    /// `in_doubt`, and writes the state `decide` returns for each. Returns how many were reclaimed.
    func reclaimExpiredLeases(
        now: Date, limit: Int, decide: @escaping @Sendable (MessageRecord) -> MessageState?
    ) async throws -> Int

    /// The earliest `next_attempt_at` among claimable messages of senders that send now, if any.
    func nextDueTime() async throws -> Date?
}

extension MessageQueue {
    /// Claims without pacing any sender.
    public func claim(
        limit: Int, owner: String, now: Date, leaseUntil: Date, excludedSenders: Set<String>
    ) async throws -> [MessageRecord] {
        try await claim(
            limit: limit, owner: owner, now: now, leaseUntil: leaseUntil, excludedSenders: excludedSenders,
            pacing: SenderPacing(limits: [:]))
    }
}

/// Reading messages for the API.
public protocol MessageCatalog: Sendable {
    /// One message, or `nil`.
    func message(_ id: MessageID) async throws -> MessageRecord?
    /// A message's attempts, oldest first.
    func attempts(of id: MessageID) async throws -> [AttemptRecord]
    /// A page of messages matching `filter`, newest first, after `cursor`.
    func list(_ filter: MessageFilter, limit: Int, cursor: Int64?) async throws -> MessagePage
    /// Counts per status and attempts since `windowStart`.
    func stats(windowStart: Date) async throws -> DeliveryStats
    /// What the health rule reads from the queue: the messages due at `now` (queued or retry scheduled, their
    /// time come) per sender holding them (counted up to `QueueHealth.countCap`) with the oldest due
    /// time, and how many messages were dead-lettered (are `failed`, last changed) at or after `since`.
    func queueHealth(now: Date, deadLetteredSince since: Date) async throws -> QueueHealth
    /// The campaign of each of `ids` that belongs to one.
    func campaigns(of ids: [MessageID]) async throws -> [MessageID: String]
    /// Attempts and retries started in each minute at or after `since` that had any, oldest first.
    func attemptMinutes(since: Date) async throws -> [AttemptMinute]
    /// The delivery funnel of the minutes at or after `since`: messages accepted, and moves reaching `sent`,
    /// `delivered` and `read` (kept for a day, as the attempt minutes).
    func funnel(since: Date) async throws -> Funnel
    /// The error codes the latest `FailureCount.sample` dead letters (`failed` messages) failed with, most
    /// frequent first, at most `limit`, each with a title it was recorded with and how many.
    func topFailureCodes(limit: Int) async throws -> [FailureCount]
}

/// Operator changes to messages, applied through the lifecycle inside one transaction.
public protocol MessageAdministration: Sendable {
    /// Applies `transition` to message `id`; returns the transition's result, or `nil` if there is no such message.
    func update(
        _ id: MessageID, now: Date, _ transition: @escaping @Sendable (MessageState) -> Transition
    ) async throws -> Transition?

    /// Applies `transition` to every message matching `filter` (at most `limit`); returns how many moved.
    func updateAll(
        _ filter: MessageFilter, limit: Int, now: Date, _ transition: @escaping @Sendable (MessageState) -> Transition
    ) async throws -> Int

    /// Deletes a message and its history when `allowed` accepts its state.
    func delete(_ id: MessageID, where allowed: @escaping @Sendable (MessageState) -> Bool) async throws -> DeleteResult

    /// Deletes up to `limit` messages in `statuses` last changed before `cutoff`; returns how many.
    func purge(statuses: [MessageStatus], before cutoff: Date, limit: Int) async throws -> Int
}

/// What `delete` did.
public enum DeleteResult: Sendable, Hashable {
    /// The message and its history are gone.
    case deleted
    /// No such message.
    case notFound
    /// The message exists but `allowed` refused it; nothing changed.
    case refused(MessageStatus)
}

/// The configured senders, shared by every process using the store. Rules stay out of the store: changes
/// arrive as closures (`SenderLifecycle`, `SenderChange`) applied inside one transaction.
public protocol SenderRegistry: Sendable {
    /// Every sender, ordered by id.
    func senders() async throws -> [SenderRecord]
    /// One sender, or `nil`.
    func sender(_ id: String) async throws -> SenderRecord?
    /// Stores a new sender; returns false (and changes nothing) when one with its id exists.
    func insertSender(_ record: SenderRecord) async throws -> Bool
    /// Reads sender `id`, passes it to `change` and writes back what it returns, in one transaction that
    /// holds the row against other writers; returns the record before and after, or `nil` when there is no
    /// such sender. An error thrown by `change` leaves the sender as it was.
    func updateSender(
        _ id: String, _ change: @escaping @Sendable (SenderRecord) throws -> SenderRecord
    ) async throws -> (before: SenderRecord, after: SenderRecord)?
    /// Moves waiting (`queued`, `retry_scheduled`) messages of `pool` assigned to one of `senders`, in `seq`
    /// order after `afterSeq`, at most `limit` of them examined: each goes to the sender `target` names
    /// (nil leaves it). Returns how many moved and the last `seq` examined (nil when none was).
    func reassign(
        pool: String, from senders: Set<String>, afterSeq: Int64, limit: Int,
        to target: @escaping @Sendable (MessageRecord) -> String?
    ) async throws -> (moved: Int, lastSeq: Int64?)
    /// Deletes sender `id` unless messages not yet sent (`queued`, `retry_scheduled`, `sending`) are pinned
    /// to it, which it counts and refuses with; its chat history goes with it.
    func deleteSender(_ id: String) async throws -> SenderDeletion
    /// Remembers that each sender has a chat with each contact (it received a message from them, or
    /// delivered one to them); contacts already known are left as they are. Keys as `ContactReach.contactKey`.
    func recordContacts(_ contacts: [SenderContact], now: Date) async throws
    /// Which of `contacts` sender `id` has a chat with.
    func knownContacts(of id: String, among contacts: [String]) async throws -> Set<String>
}

/// A sender and a contact it has a chat with (the contact's `ContactReach.contactKey`).
public struct SenderContact: Sendable, Hashable {
    public var senderID: String
    public var contact: String

    public init(senderID: String, contact: String) {
        self.senderID = senderID
        self.contact = contact
    }
}

/// What `deleteSender` did.
public enum SenderDeletion: Sendable, Hashable {
    /// The sender is gone.
    case deleted
    /// No such sender.
    case notFound
    /// This many unsent messages are pinned to it; nothing changed.
    case hasUnsentMessages(Int)
}

/// Small settings kept in the database (such as a generated API key).
public protocol SettingsStore: Sendable {
    /// The value stored under `key`, storing `makeValue()` first if there was none. `created` tells which.
    func setting(
        _ key: String, orInsert makeValue: @escaping @Sendable () -> String
    ) async throws
        -> (value: String, created: Bool)
}

/// Everything Pigeon needs from a database.
public typealias PigeonStore = MessageQueue & MessageCatalog & MessageAdministration & SenderRegistry & SettingsStore & CampaignStore
    & WebhookInbox & ForwardQueue & MediaLibrary & LeaderElection & AlertStore
