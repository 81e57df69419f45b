import Foundation
import Hummingbird
import PigeonCore
import PigeonEngine

/// `GET /v1/stats`, `/v1/health`, `/healthz`, `/readyz` and `/openapi.yaml`.
struct SystemRoutes {
    let service: MessageService
    let mediaErrors: MediaErrorMonitor

    func register(on router: Router<PigeonRequestContext>) {
        router.get("/healthz") { _, _ in JSONBody.response(["status": "ok"]) }
        router.get("/readyz") { _, context in
            do {
                _ = try await service.store.sender("")
                return JSONBody.response(["status": "ready"])
            } catch {
                context.logger.error("readiness check failed", metadata: ["error": "\(error)"])
                return APIError(
                    .serviceUnavailable, "not_ready", "the database is not reachable",
                    headers: [.retryAfter: "\(StoreUnavailable.retryAfter.components.seconds)"]
                ).response()
            }
        }
        router.get("/v1/stats") { _, _ in try await stats() }
        router.get("/v1/health") { _, _ in await health() }
        router.get("/openapi.yaml") { _, _ in try openAPI() }
    }

    private func stats() async throws -> Response {
        let stats = try await service.stats()
        let hour = mediaErrors.lastHour()
        var counts: [String: Any] = [:]
        for (status, count) in stats.delivery.counts { counts[status.rawValue] = count }
        return JSONBody.response([
            "messages": counts,
            "dead_letter": stats.delivery.counts[.failed] ?? 0,
            "attempts_last_hour": stats.delivery.attemptsInWindow,
            "retries_last_hour": stats.delivery.retriesInWindow,
            "senders": stats.senders.map { sender in
                [
                    "id": sender.id, "kind": sender.kind.rawValue, "pool": sender.pool, "status": sender.health.status.rawValue,
                    "consecutive_failures": sender.health.consecutiveFailures, "reconnect_attempts": sender.health.reconnectAttempts,
                    "sent_today": stats.sentToday[sender.id] ?? 0, "daily_cap": JSONBody.value(sender.limits.dailyCap),
                    "last_failure_at": JSONBody.date(sender.health.lastFailureAt),
                    "last_failure_reason": JSONBody.value(sender.health.lastFailureReason),
                    "reconnects": sender.health.reconnects ?? 0, "failovers": sender.health.failovers ?? 0,
                ] as [String: Any]
            },
            "failovers": stats.senders.reduce(0) { $0 + ($1.health.failovers ?? 0) },
            "reconnects": stats.senders.reduce(0) { $0 + ($1.health.reconnects ?? 0) },
            "paused_senders": stats.senders.filter { $0.health.status == .paused }.map { sender in
                var code: Any = NSNull()
                if case .senderError(let error, _) = sender.health.pauseReason { code = error }
                return [
                    "id": sender.id, "reason": JSONBody.value(sender.health.lastFailureReason), "error_code": code,
                    "paused_by": sender.health.pauseReason == .operator ? "operator" : "sender_error",
                    "paused_at": JSONBody.date(sender.health.lastFailureAt ?? sender.updatedAt),
                ] as [String: Any]
            },
            "throttled_senders": stats.throttledSenders.sorted { $0.key < $1.key }.map { ["id": $0.key, "until": JSONBody.date($0.value)] },
            "webhooks": ["unprocessed": stats.intake.unprocessedWebhooks, "pending_events": stats.intake.pendingEvents],
            "forwards": ["waiting": stats.intake.forwardsWaiting, "failed": stats.intake.forwardsFailed],
            "media": [
                "assets": stats.media.assets,
                "uploads": Dictionary(uniqueKeysWithValues: MediaRefreshReason.allCases.map { ($0.rawValue, stats.media.uploads[$0] ?? 0) }),
                "upload_failures": stats.media.uploadFailures,
                "retries_after_media_error": stats.media.retriesAfterMediaError,
                "last_hour": ["sends": hour.sends, "media_errors": hour.mediaErrors],
            ] as [String: Any],
        ])
    }

    /// The health rule's verdict (200; 503 when `critical`, so that a plain HTTP monitor alarms on it).
    private func health() async -> Response {
        let report = await HealthCheck(service: service).run()
        var senders: [String: Any] = [:]
        for sender in report.senders {
            senders[sender.id] =
                [
                    "kind": sender.kind.rawValue, "pool": sender.pool, "status": sender.health.status.rawValue,
                    "consecutive_failures": sender.health.consecutiveFailures, "reconnect_attempts": sender.health.reconnectAttempts,
                    "last_failure_at": JSONBody.date(sender.health.lastFailureAt),
                    "last_failure_reason": JSONBody.value(sender.health.lastFailureReason), "throttled": report.throttled.contains(sender.id),
                    "quality_rating": JSONBody.value(sender.numberHealth.qualityRating),
                    "messaging_limit": JSONBody.value(sender.numberHealth.messagingLimit),
                ] as [String: Any]
        }
        var queue: Any = NSNull()
        if let counts = report.queue { queue = Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }) }
        return JSONBody.response(
            [
                "overall": report.health.overall.rawValue,
                "reasons": report.health.reasons.map { reason in
                    ["level": reason.level.rawValue, "code": reason.code, "subject": JSONBody.value(reason.subject), "message": reason.message]
                        as [String: Any]
                },
                "senders": senders, "queue": queue, "checked_at": JSONBody.date(report.at),
            ], status: report.health.overall == .critical ? .serviceUnavailable : .ok)
    }

    private func openAPI() throws -> Response {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"), let data = try? Data(contentsOf: url) else {
            throw APIError(.internalServerError, "missing_document", "the OpenAPI document is missing from this build")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
