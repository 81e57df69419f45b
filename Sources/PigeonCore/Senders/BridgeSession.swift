import Foundation

/// A session's status as a WAHA bridge reports it (`GET /api/sessions/{session}`, `session.status` webhooks).
public enum BridgeSessionStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case stopped = "STOPPED"
    case starting = "STARTING"
    case scanQRCode = "SCAN_QR_CODE"
    case working = "WORKING"
    case failed = "FAILED"
    /// WhatsApp asks for a passkey (WebAuthn) to finish linking: only a browser on web.whatsapp.com can give it.
    case passkeyRequired = "PASSKEY_REQUIRED"
    /// WhatsApp asks to confirm a passkey with a code on the phone.
    case passkeyConfirmationRequired = "PASSKEY_CONFIRMATION_REQUIRED"

    /// What the status means for the sender's lifecycle (nil while it is starting: nothing is known yet).
    /// `FAILED` is a logged-out drop, the one that counts toward deleting the session's credentials (WAHA:
    /// "likely either authorization is required again or device has been disconnected"); a session found
    /// `STOPPED` that an operator did not stop is a drop that does not count.
    public var event: SenderEvent? {
        switch self {
        case .working: .working
        case .failed: .loggedOut(reason: "the bridge reports the session FAILED (logged out, or the phone unlinked it)")
        case .scanQRCode, .passkeyRequired, .passkeyConfirmationRequired: .awaitingPairing
        case .stopped: .dropped(reason: "the bridge reports the session STOPPED")
        case .starting: nil
        }
    }

    /// What pairing waits for in this status (nil when it waits for nothing).
    public var pairingStep: PairingStep? {
        switch self {
        case .scanQRCode: .qrCode
        case .passkeyRequired: .passkey
        case .passkeyConfirmationRequired: .passkeyConfirmation
        default: nil
        }
    }
}

/// What pairing a web session waits for, and what the operator must do.
public enum PairingStep: String, Sendable, Hashable, Codable {
    /// Scan the QR code (`GET /v1/senders/{id}/qr`) or enter a pairing code (`POST /v1/senders/{id}/pairing-code`).
    case qrCode = "qr_code"
    /// WhatsApp asks for a passkey: it can only be given in a browser.
    case passkey
    /// WhatsApp asks to confirm the passkey on the phone.
    case passkeyConfirmation = "passkey_confirmation"

    /// What the operator must do, in words.
    public var instructions: String {
        switch self {
        case .qrCode:
            "scan the QR code from GET /v1/senders/{id}/qr in WhatsApp on the phone (Linked devices), or ask for a pairing code with POST /v1/senders/{id}/pairing-code"
        case .passkey:
            "WhatsApp asks for a passkey to finish linking, which only a browser on https://web.whatsapp.com can give: open the session in the WAHA dashboard in a browser and complete the passkey step there"
        case .passkeyConfirmation:
            "WhatsApp asks to confirm the passkey: confirm the code shown in the WAHA dashboard on the phone"
        }
    }
}

/// When web sessions are checked: a random time in a range (default 25–40 s,
/// `PIGEON_SESSION_HEALTH_INTERVAL`), so checks of many sessions do not line up.
public struct SessionCheckInterval: Sendable, Hashable {
    public var min: Duration
    public var max: Duration

    /// The default range: 25 to 40 seconds.
    public static let `default` = SessionCheckInterval(min: .seconds(25), max: .seconds(40))

    public init(min: Duration, max: Duration) {
        self.min = min
        self.max = max
    }

    /// Parses `25s-40s` (a range) or `30s` (one duration).
    public static func parse(_ text: String) throws -> SessionCheckInterval {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
        guard (1...2).contains(parts.count) else { throw DurationParser.Failure(text: text) }
        let low = try DurationParser.parse(parts[0])
        let high = try parts.count == 2 ? DurationParser.parse(parts[1]) : low
        guard low <= high else { throw DurationParser.Failure(text: text) }
        return SessionCheckInterval(min: low, max: high)
    }

    /// The time of the next check after `now`, for a random value in 0..<1.
    public func next(after now: Date, random: Double) -> Date {
        now.addingTimeInterval(min.timeInterval + (max - min).timeInterval * random)
    }
}
