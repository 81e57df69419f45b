import Foundation

/// What can happen to a sender: reports from its bridge or health check, outcomes of what the lifecycle
/// asked for, operators' actions, and time passing.
public enum SenderEvent: Sendable, Hashable {
    /// The session works (WAHA `WORKING`), or the number's health check passes.
    case working
    /// The session dropped logged out (WAHA `FAILED`, Baileys 401): counts toward deleting its credentials.
    case loggedOut(reason: String)
    /// The session dropped for a reason that does not count (network, restart required, replaced, stopped
    /// by someone else, the bridge unreachable), or a restart or reconnect did not bring it back.
    case dropped(reason: String)
    /// The session has no credentials and shows a QR code (WAHA `SCAN_QR_CODE`).
    case awaitingPairing
    /// WhatsApp blocks new contacts until `until` (a 463, or `reachoutTimelock.isActive`); nil when it did
    /// not say (a 463 without an end: the current restriction, or `SenderLifecycle.defaultRestriction`).
    case restricted(until: Date?)
    /// A send failed with a sender-level Meta error (the sender is paused, not its messages failed).
    case senderError(code: Int, title: String)
    /// The number or account is banned or blocked for good.
    case banned(reason: String)
    /// An operator paused it (`POST /v1/senders/{id}/pause`).
    case pause
    /// An operator resumed it (`POST /v1/senders/{id}/resume`).
    case resume
    /// An operator asked to connect it (`POST /v1/senders/{id}/connect`).
    case connect
    /// An operator force-disconnected it; with `forgetSession` its credentials are deleted too.
    case disconnect(forgetSession: Bool)
    /// An operator disabled (`false`) or enabled (`true`) it.
    case enabled(Bool)
    /// Time passed: a due reconnect, the end of a restriction, a stability period reached.
    case tick
}

/// What a transition asks the sender's bridge or the engine to do.
public enum SenderEffect: Sendable, Hashable {
    /// Restart the session now, keeping its credentials (WAHA `restart`).
    case restartSession
    /// Start (or restart, if it runs) the session: a reconnect attempt (WAHA `start`).
    case startSession
    /// Stop the session, keeping its credentials (WAHA `stop`).
    case stopSession
    /// Log the session out at the bridge, deleting its credentials (WAHA `logout`).
    case logoutSession
    /// Check the sender's health now (a Cloud API number's health status, a session's status).
    case probe
    /// Its queued pooled messages should go to the other senders of its pool.
    case reroute
    /// Tell a human, at error level.
    case alert(String)
}
