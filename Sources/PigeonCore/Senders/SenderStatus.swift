/// Where a sender (a Cloud API number or a WhatsApp Web session) stands. `SenderLifecycle` is the only
/// place that moves a sender between these.
public enum SenderStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Starting, restarting or being probed. Entered at creation, on a restart after a logged-out drop, on
    /// a reconnect attempt and on an operator's connect; left for `connected` when the session works (or
    /// the number's health check passes), or for `disconnected` / `needs_pairing` when it does not.
    case connecting
    /// Sending. Entered when the session reports it works; left on any drop, restriction, pause or disable.
    case connected
    /// Dropped for a reason that does not count toward deleting the session (network, restart required,
    /// a replaced connection, stopped by someone other than the operator, a restart that did not take);
    /// reconnected on `SenderLifecycle.reconnectSchedule`, and `needs_attention` once it is used up.
    case disconnected
    /// The credentials are gone (never paired, or logged out after repeated logged-out drops or by the
    /// operator): a QR code or pairing code is waiting. Left for `connected` when someone pairs it.
    case needsPairing = "needs_pairing"
    /// Connected, but WhatsApp blocks messages to new contacts until `restrictedUntil`: existing chats keep
    /// flowing, nothing is restarted. Left for `connected` when that time passes.
    case restricted
    /// Stopped by a sender-level Meta error (an expired token, a locked account) or by an operator
    /// (`pauseReason` says which). Left by an operator's resume or connect, or, for a sender-level error, a
    /// health check that passes again.
    case paused
    /// Reconnection exhausted, or the number banned: a human must look. Left by an operator's connect.
    case needsAttention = "needs_attention"
    /// Turned off by an operator (`enabled: false`); left only by enabling it again.
    case disabled

    /// Whether messages may be sent through the sender in this status (a restricted sender only to contacts
    /// it already has a chat with).
    public var sends: Bool { self == .connected || self == .restricted }
}
