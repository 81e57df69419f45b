import Foundation
import PigeonCore

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

func newMessage(
    to: String = "+15550001111", sender: String = "100", key: String? = nil, hash: String? = nil, maxAttempts: Int = 3,
    now: Date = t0
) -> NewMessage {
    NewMessage(
        id: .generate(now: now), senderID: sender, recipient: to, type: "text",
        payload: #"{"text":{"body":"hi"},"to":"\#(to)","type":"text"}"#, maxAttempts: maxAttempts, idempotencyKey: key,
        requestHash: hash)
}

extension EnqueueResult {
    var record: MessageRecord? {
        switch self {
        case .created(let record), .replayed(let record): record
        case .conflict: nil
        }
    }
}

/// A sender record with every field set, so a round trip through a store checks each column.
func senderRecord(
    _ id: String, kind: SenderKind = .cloudAPI, status: SenderStatus = .connected, pool: String = "default"
)
    -> SenderRecord
{
    SenderRecord(
        id: id, kind: kind, pool: pool,
        limits: SenderLimits(
            rateLimit: 12.5, dailyCap: 300, timeZone: "Europe/Berlin",
            delay: .init(min: .seconds(25), max: .milliseconds(40_500)), typing: true),
        settings: SenderSettings(wabaID: "777", bridgeURL: "http://127.0.0.1:3000", session: "default"),
        sealedSecrets: [0, 1, 2, 255],
        health: SenderHealth(
            status: status, consecutiveFailures: 2, lastFailureAt: t0, lastFailureReason: "logged out", reconnectAttempts: 1,
            nextReconnectAt: t0.addingTimeInterval(60), workingSince: nil, restrictedUntil: t0.addingTimeInterval(3600),
            pauseReason: status == .paused ? .senderError(code: 190, title: "Access token has expired") : nil),
        numberHealth: NumberHealth(qualityRating: "GREEN", messagingLimit: "TIER_1K", healthStatus: "AVAILABLE", checkedAt: t0),
        createdAt: t0, updatedAt: t0)
}
