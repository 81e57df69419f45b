import Foundation
import PigeonCore

/// Carries out what the sender lifecycle asks of a sender's bridge or number (start, restart, stop or log
/// out a session; check a number's health) and says what came of it.
public protocol SenderControl: Sendable {
    /// Performs `effect` for `sender`; returns what followed (such as `.working` after a start that worked, or
    /// `.dropped` when the bridge could not be reached), or nil when this control has nothing to do for it.
    func perform(_ effect: SenderEffect, sender: SenderRecord, secrets: SenderSecrets) async -> SenderObservation?
}

/// What an operator asks of a web session waiting for pairing.
public enum PairingRequest: Sendable, Hashable {
    /// The current QR code as a PNG image.
    case qrImage
    /// The string the current QR code encodes.
    case qrValue
    /// A pairing code for this phone number (digits), to type on the phone instead of scanning.
    case code(phoneNumber: String)
}

/// What the bridge answered to a `PairingRequest`.
public enum PairingAnswer: Sendable, Hashable {
    case image(Data)
    case value(String)
    case code(String)
    /// The session is not waiting for a QR code (it is paired, stopped, or waits for a passkey): the bridge's
    /// words.
    case notWaiting(String)
    /// The bridge could not be reached or failed.
    case failed(String)
    /// This sender has no pairing (a Cloud API number).
    case unsupported
}

/// A `SenderControl` that can also pair a web session.
public protocol PairingControl: Sendable {
    /// Carries out `request` at `sender`'s bridge.
    func pair(_ request: PairingRequest, sender: SenderRecord, secrets: SenderSecrets) async -> PairingAnswer
}
