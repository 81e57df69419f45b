import Foundation

/// What an alert is about.
public enum AlertKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// Over the threshold of the last 15 minutes' attempts were retries.
    case retryRateHigh = "retry_rate_high"
    /// Messages were dead-lettered in the last hour.
    case deadLettersGrew = "dead_letters_grew"
    /// A Cloud API number was paused by a sender-level error (an expired token, a locked account).
    case senderNeedsReauthentication = "sender_needs_reauthentication"
    /// A web session waits for a QR code scan.
    case senderNeedsPairing = "sender_needs_pairing"
    /// A sender used up its reconnection attempts (or was banned): a human must look.
    case senderReconnectsExhausted = "sender_reconnects_exhausted"
    /// Meta paused or disabled a campaign's template, or restricted its number for spam.
    case campaignPausedByMeta = "campaign_paused_by_meta"
    /// Media uploads failed in the last 15 minutes.
    case mediaRefreshFailed = "media_refresh_failed"
    /// Webhooks with a wrong signature arrived in a burst.
    case forgedWebhookSignatures = "forged_webhook_signatures"
}

/// A condition an alert is raised for while it holds: its kind, what it is about (a sender, a campaign, or
/// the whole system), and the words for it.
public struct AlertCondition: Sendable, Hashable {
    public var kind: AlertKind
    /// The sender or campaign id, or `system`.
    public var subject: String
    public var message: String

    public init(kind: AlertKind, subject: String, message: String) {
        self.kind = kind
        self.subject = subject
        self.message = message
    }

    /// One alert is open at a time per kind and subject.
    public var key: String { "\(kind.rawValue):\(subject)" }
}

/// An alert as stored: open from when its condition was first seen, resolved when it no longer held.
public struct Alert: Sendable, Hashable {
    public var id: String
    public var kind: AlertKind
    public var subject: String
    public var status: Status
    public var message: String
    public var firstSeenAt: Date
    public var lastSeenAt: Date
    public var resolvedAt: Date?

    /// `open` while its condition holds, then `resolved`.
    public enum Status: String, Sendable, Hashable, Codable {
        case open, resolved
    }

    public init(
        id: String, kind: AlertKind, subject: String, status: Status, message: String, firstSeenAt: Date, lastSeenAt: Date,
        resolvedAt: Date?
    ) {
        self.id = id
        self.kind = kind
        self.subject = subject
        self.status = status
        self.message = message
        self.firstSeenAt = firstSeenAt
        self.lastSeenAt = lastSeenAt
        self.resolvedAt = resolvedAt
    }

    /// One alert is open at a time per kind and subject.
    public var key: String { "\(kind.rawValue):\(subject)" }
}
