/// What kind of failure an attempt met; decides what the engine does next (see `DeliveryPolicy`).
public enum ErrorClass: String, Sendable, Codable, CaseIterable, Hashable {
    /// May succeed later: retry with backoff while the message's attempt budget lasts.
    case transient
    /// Meta says "too fast" for the app, the WABA or the number: slow the sender and requeue, budget untouched.
    case throttled
    /// Too many messages to one recipient (131056): only that recipient waits, 4^X seconds.
    case pairLimited = "pair_limited"
    /// The media in the message could not be processed (131053): its own class; retried once.
    case media
    /// Can never succeed as sent: dead-letter at once.
    case permanent
    /// The sender itself is broken (token, permissions, account): pause the sender, keep the message queued.
    case senderLevel = "sender_level"
    /// WhatsApp restricts the sender from reaching new contacts (a web session's 463, "reachout timelock"):
    /// the sender is marked restricted and the message waits for the restriction to end on the same sender
    /// (never retried during it, which would worsen it; never failed over, which would invite the same on
    /// the next number); budget untouched.
    case restricted
    /// The request may or may not have reached Meta: resend once after a quiet period.
    case inDoubt = "in_doubt"
}
