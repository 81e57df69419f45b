import Foundation

/// The one rule for Pigeon's health, shown by `GET /v1/health` and the dashboard:
///
/// - `critical`: the database is unreachable, or messages are due for a pool (or a pinned sender) with no
///   sender that can send;
/// - `warning`: the retry rate over the alert window is above the threshold (with enough attempts to
///   judge), messages were dead-lettered in the last hour, or a sender needs attention or pairing;
/// - `degraded`: a sender is paused, restricted, reconnecting or throttled, or the oldest due message has
///   waited longer than `maximumDueWait`;
/// - `healthy` otherwise.
public struct HealthRule: Sendable, Hashable {
    /// The retry rate (retries per attempt) above which health is `warning`.
    public var retryRateThreshold: Double
    /// The window the rate is measured over.
    public var window: TimeInterval
    /// Fewer attempts than this in the window say nothing about the rate.
    public var minimumAttempts: Int
    /// How long a due message may wait before health is `degraded`.
    public var maximumDueWait: TimeInterval

    public init(retryRateThreshold: Double = 0.10, window: TimeInterval = 15 * 60, minimumAttempts: Int = 20, maximumDueWait: TimeInterval = 300) {
        self.retryRateThreshold = retryRateThreshold
        self.window = window
        self.minimumAttempts = minimumAttempts
        self.maximumDueWait = maximumDueWait
    }

    public static let standard = HealthRule()

    public func evaluate(_ facts: HealthFacts) -> Health {
        guard facts.databaseReachable else {
            let reason = HealthReason(level: .critical, code: "database_unreachable", message: "the database is not reachable")
            return Health(overall: .critical, reasons: [reason])
        }
        var reasons: [HealthReason] = []
        for (route, count) in facts.due.sorted(by: { $0.key.name < $1.key.name }) where count > 0 {
            if !facts.senders.contains(where: { route.serves($0) && $0.health.status.sends }) {
                reasons.append(
                    HealthReason(
                        level: .critical, code: "no_sender_for_due_messages", subject: route.name,
                        message: "\(count) messages are due for \(route.name) and none of its senders can send"))
            }
        }
        if let rate = retryRate(facts) {
            reasons.append(
                HealthReason(
                    level: .warning, code: "retry_rate_high",
                    message:
                        "\(Self.percent(rate)) of the last \(Int(window / 60)) minutes' \(facts.attempts) attempts were retries (threshold \(Self.percent(retryRateThreshold)))"
                ))
        }
        if facts.deadLetteredLastHour > 0 {
            reasons.append(
                HealthReason(
                    level: .warning, code: "dead_letters_grew", message: "\(facts.deadLetteredLastHour) messages were dead-lettered in the last hour")
            )
        }
        for sender in facts.senders.sorted(by: { $0.id < $1.id }) {
            if let reason = Self.reason(for: sender, throttled: facts.throttled.contains(sender.id)) { reasons.append(reason) }
        }
        if let wait = facts.oldestDueWait, wait > maximumDueWait {
            reasons.append(
                HealthReason(
                    level: .degraded, code: "oldest_due_message_waiting",
                    message: "the oldest due message has waited \(Int(wait)) s (over \(Int(maximumDueWait)) s)"))
        }
        let overall = reasons.map(\.level).max() ?? .healthy
        // Worst first; conditions of one level in the order above.
        let ordered = reasons.enumerated().sorted { a, b in
            a.element.level == b.element.level ? a.offset < b.offset : a.element.level > b.element.level
        }
        return Health(overall: overall, reasons: ordered.map(\.element))
    }

    /// The retry rate of the window when it is above the threshold, with enough attempts to judge; nil otherwise.
    public func retryRate(_ facts: HealthFacts) -> Double? {
        guard facts.attempts >= minimumAttempts else { return nil }
        let rate = Double(facts.retries) / Double(facts.attempts)
        return rate > retryRateThreshold ? rate : nil
    }

    /// What one sender's state says, if anything.
    private static func reason(for sender: SenderRecord, throttled: Bool) -> HealthReason? {
        let subject = sender.id
        switch sender.health.status {
        case .needsAttention:
            return HealthReason(
                level: .warning, code: "sender_needs_attention", subject: subject,
                message: "sender \(subject) needs attention\(sender.health.lastFailureReason.map { ": \($0)" } ?? "")")
        case .needsPairing:
            return HealthReason(
                level: .warning, code: "sender_needs_pairing", subject: subject, message: "sender \(subject) waits for a QR code scan")
        case .paused:
            return HealthReason(
                level: .degraded, code: "sender_paused", subject: subject,
                message: "sender \(subject) is paused\(sender.health.lastFailureReason.map { ": \($0)" } ?? "")")
        case .restricted:
            return HealthReason(
                level: .degraded, code: "sender_restricted", subject: subject,
                message: "sender \(subject) may not message new contacts for now")
        case .connecting, .disconnected:
            return HealthReason(
                level: .degraded, code: "sender_reconnecting", subject: subject,
                message: "sender \(subject) is reconnecting (attempt \(sender.health.reconnectAttempts))")
        case .connected where throttled:
            return HealthReason(
                level: .degraded, code: "sender_throttled", subject: subject, message: "sender \(subject) is held back by a rate limit")
        case .connected, .disabled:
            return nil
        }
    }

    static func percent(_ value: Double) -> String { "\(Int((value * 100).rounded())) %" }
}
