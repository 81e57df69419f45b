import Foundation

/// How both stores encode the parts of a campaign recipient that are not plain columns: its variables as
/// JSON text with sorted keys, its earlier message ids as one space-separated text.
public enum CampaignColumns {
    /// `variables` as JSON text.
    public static func encode(_ variables: [String: String]) -> String { CanonicalJSON.string(variables) }

    /// Variables from their JSON text (empty when it is not).
    public static func decode(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }

    /// Earlier message ids from their stored text.
    public static func earlier(_ text: String) -> [MessageID] {
        text.split(separator: " ").map { MessageID(rawValue: String($0)) }
    }

    /// The SQL expression for `earlier_message_ids` with the row's current `message_id` appended.
    public static let appendEarlier =
        "CASE WHEN message_id IS NULL THEN earlier_message_ids ELSE trim(earlier_message_ids || ' ' || message_id) END"
}
