import Foundation

/// An alert as `GET /v1/alerts` lists it and the alert webhook receives it: `id`, `kind`, `status`,
/// `subject`, `message`, and `first_seen_at`, `last_seen_at`, `resolved_at` as ISO 8601 with milliseconds
/// (`resolved_at` null while open).
public enum AlertBody {
    /// The alert as a JSON object.
    public static func object(_ alert: Alert) -> [String: Any] {
        let date = { (date: Date?) -> Any in date.map { $0.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)) } ?? NSNull() }
        return [
            "id": alert.id, "kind": alert.kind.rawValue, "status": alert.status.rawValue, "subject": alert.subject, "message": alert.message,
            "first_seen_at": date(alert.firstSeenAt), "last_seen_at": date(alert.lastSeenAt), "resolved_at": date(alert.resolvedAt),
        ]
    }

    /// The alert as the alert webhook's body: that object, in canonical JSON.
    public static func json(_ alert: Alert) -> Data {
        var bytes: [UInt8] = []
        try? CanonicalJSON.write(object(alert), into: &bytes)
        return Data(bytes)
    }
}
