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
