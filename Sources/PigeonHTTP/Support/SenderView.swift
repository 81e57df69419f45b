import Foundation
import PigeonCore

/// A sender as the API shows it: everything but its credentials (only whether each is set).
enum SenderView {
    static func sender(_ record: SenderRecord, secrets: SenderSecrets?, sentToday: Int) -> [String: Any] {
        let health = record.health
        let limits = record.limits
        var view: [String: Any] = [
            "id": record.id, "kind": record.kind.rawValue, "pool": record.pool, "enabled": health.status != .disabled,
            "status": health.status.rawValue, "consecutive_failures": health.consecutiveFailures,
            "last_failure_at": JSONBody.date(health.lastFailureAt), "last_failure_reason": JSONBody.value(health.lastFailureReason),
            "reconnect_attempts": health.reconnectAttempts, "next_reconnect_at": JSONBody.date(health.nextReconnectAt),
            "restricted_until": JSONBody.date(health.restrictedUntil), "pause_reason": pauseReason(health.pauseReason),
            "rate_limit": JSONBody.value(limits.rateLimit), "daily_cap": JSONBody.value(limits.dailyCap), "sent_today": sentToday,
            "time_zone": limits.timeZone,
            "created_at": JSONBody.date(record.createdAt), "updated_at": JSONBody.date(record.updatedAt),
        ]
        switch record.kind {
        case .cloudAPI:
            view["waba_id"] = JSONBody.value(record.settings.wabaID)
            view["portfolio_id"] = JSONBody.value(record.settings.portfolioID)
            view["has_access_token"] = secrets?.accessToken != nil
            view["quality_rating"] = JSONBody.value(record.numberHealth.qualityRating)
            view["messaging_limit"] = JSONBody.value(record.numberHealth.messagingLimit)
            view["health_status"] = JSONBody.value(record.numberHealth.healthStatus)
        case .webSession:
            view["bridge"] = [
                "url": JSONBody.value(record.settings.bridgeURL), "session": JSONBody.value(record.settings.session),
                "has_api_key": secrets?.bridgeAPIKey != nil, "has_webhook_secret": secrets?.webhookSecret != nil,
            ]
            view["delay"] = limits.delay.map { ["min": duration($0.min), "max": duration($0.max)] } ?? NSNull()
            view["typing"] = limits.typing
            view["new_contact_quota"] = JSONBody.value(health.newContactQuota)
            view["quota_cycle_end"] = JSONBody.date(health.quotaCycleEnd)
            view["pairing"] = pairing(health)
        }
        view["reconnects"] = health.reconnects ?? 0
        view["failovers"] = health.failovers ?? 0
        return view
    }

    /// What pairing waits for and what the operator must do (null unless the session needs pairing).
    static func pairing(_ health: SenderHealth) -> Any {
        guard health.status == .needsPairing else { return NSNull() }
        let step = health.pairingStep ?? .qrCode
        return ["step": step.rawValue, "instructions": step.instructions]
    }

    static func pauseReason(_ reason: SenderPauseReason?) -> Any {
        switch reason {
        case nil: NSNull()
        case .operator: ["by": "operator"]
        case .senderError(let code, let title): ["by": "sender_error", "error_code": code, "title": title]
        }
    }

    /// A duration as the API writes it: whole seconds (`25s`), else milliseconds.
    static func duration(_ duration: Duration) -> String {
        let millis = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return millis % 1000 == 0 ? "\(millis / 1000)s" : "\(millis)ms"
    }
}
