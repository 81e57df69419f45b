import Foundation
import PigeonCore
import PigeonEngine

/// The JSON shapes of messages and attempts in API responses (snake_case, ISO 8601 dates).
enum MessageView {
    /// A message with its history and events.
    static func message(_ detail: MessageDetail) -> [String: Any] {
        var view = message(detail.record)
        view["history"] = detail.history.map(attempt)
        view["events"] = detail.events.map(event)
        return view
    }

    static func message(_ record: MessageRecord) -> [String: Any] {
        let state = record.state
        return [
            "id": record.id.rawValue,
            "status": state.status.rawValue,
            "to": record.recipient,
            "type": record.type,
            "sender_id": record.senderID,
            "pool": JSONBody.value(record.pool),
            "attempts": state.attempts,
            "counted_attempts": state.countedAttempts,
            "max_attempts": state.maxAttempts,
            "next_attempt_at": JSONBody.date(state.nextAttemptAt),
            "wamid": JSONBody.value(state.wamid),
            "failure_reason": JSONBody.value(state.failureReason?.rawValue),
            "last_error": state.lastError.map(error) ?? NSNull(),
            "idempotency_key": JSONBody.value(record.idempotencyKey),
            "created_at": JSONBody.date(record.createdAt),
            "updated_at": JSONBody.date(record.updatedAt),
            "sent_at": JSONBody.date(record.sentAt),
            "message": (try? JSONSerialization.jsonObject(with: Data(record.payload.utf8))) ?? record.payload,
        ]
    }

    static func error(_ error: Classification) -> [String: Any] {
        [
            "code": JSONBody.value(error.code),
            "class": error.errorClass.rawValue,
            "title": error.title,
            "details": JSONBody.value(error.details),
            "http_status": JSONBody.value(error.httpStatus),
            "cause": JSONBody.value(error.cause?.rawValue),
        ]
    }

    static func attempt(_ attempt: AttemptRecord) -> [String: Any] {
        [
            "attempt": attempt.number,
            "started_at": JSONBody.date(attempt.startedAt),
            "finished_at": JSONBody.date(attempt.finishedAt),
            "outcome": attempt.outcome.rawValue,
            "http_status": JSONBody.value(attempt.error?.httpStatus),
            "error_code": JSONBody.value(attempt.error?.code),
            "error_class": JSONBody.value(attempt.error?.errorClass.rawValue),
            "error_title": JSONBody.value(attempt.error?.title),
            "error_details": JSONBody.value(attempt.error?.details),
            "error_cause": JSONBody.value(attempt.error?.cause?.rawValue),
            "duration_ms": JSONBody.value(attempt.durationMs),
            "sender_id": JSONBody.value(attempt.senderID),
        ]
    }

    static func event(_ event: MessageEvent) -> [String: Any] {
        let report = event.report
        let error = report.errors.first
        return [
            "status": report.status,
            "timestamp": JSONBody.date(report.timestamp),
            "received_at": JSONBody.date(event.receivedAt),
            "outcome": event.outcome.rawValue,
            "wamid": report.wamid,
            "error": error.map { ["code": $0.code, "title": $0.title, "details": JSONBody.value($0.details)] } ?? NSNull(),
            "pricing": report.pricing.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } ?? NSNull(),
        ]
    }

    /// The short answer to an accepted message.
    static func accepted(_ record: MessageRecord) -> [String: Any] {
        ["id": record.id.rawValue, "status": record.state.status.rawValue]
    }
}
