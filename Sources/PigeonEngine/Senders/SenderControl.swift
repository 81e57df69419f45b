import PigeonCore

/// Carries out what the sender lifecycle asks of a sender's bridge or number (start, restart, stop or log
/// out a session; check a number's health) and says what came of it.
public protocol SenderControl: Sendable {
    /// Performs `effect` for `sender`; returns what followed (such as `.working` after a start that worked, or
    /// `.dropped` when the bridge could not be reached), or nil when this control has nothing to do for it.
    func perform(_ effect: SenderEffect, sender: SenderRecord, secrets: SenderSecrets) async -> SenderObservation?
}
