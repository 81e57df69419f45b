import Foundation

/// How healthy Pigeon is, from best to worst.
public enum HealthLevel: String, Sendable, Hashable, Comparable, CaseIterable {
    case healthy, degraded, warning, critical

    public static func < (lhs: HealthLevel, rhs: HealthLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One condition that decided the health: its level, a stable code, and what it is about in words.
public struct HealthReason: Sendable, Hashable {
    public var level: HealthLevel
    /// `database_unreachable`, `no_sender_for_due_messages`, `retry_rate_high`, `dead_letters_grew`,
    /// `sender_needs_attention`, `sender_needs_pairing`, `sender_paused`, `sender_restricted`,
    /// `sender_reconnecting`, `sender_throttled` or `oldest_due_message_waiting`.
    public var code: String
    /// The sender or pool it is about, if one.
    public var subject: String?
    public var message: String

    public init(level: HealthLevel, code: String, subject: String? = nil, message: String) {
        self.level = level
        self.code = code
        self.subject = subject
        self.message = message
    }
}

/// The health verdict: the worst level among the reasons (`healthy` when there are none).
public struct Health: Sendable, Hashable {
    public var overall: HealthLevel
    public var reasons: [HealthReason]
}
