import Logging
import PigeonCore

extension MessageRecord {
    /// What every log line about a message carries: its id (`message_id`), its attempt and its sender.
    var logMetadata: Logger.Metadata {
        ["message_id": "\(id)", "attempt": "\(state.attempts)", "sender": "\(senderID)"]
    }
}
