import Foundation

/// The words that, sent alone by a customer, put their number on the opt-out list (`STOP`, `UNSUBSCRIBE`
/// unless `PIGEON_OPT_OUT_KEYWORDS` replaces them), compared trimmed and case-insensitively.
public struct OptOutKeywords: Sendable, Hashable {
    /// The keywords, upper-cased.
    public let words: Set<String>

    /// The keywords Pigeon listens for unless told otherwise.
    public static let standard = OptOutKeywords(["STOP", "UNSUBSCRIBE"])

    public init(_ words: [String]) {
        self.words = Set(words.map { $0.trimmingCharacters(in: .whitespacesAndNewlines).uppercased() }.filter { !$0.isEmpty })
    }

    /// Parses a comma-separated list; nil when it names no word.
    public init?(list: String) {
        self.init(list.split(separator: ",").map(String.init))
        if words.isEmpty { return nil }
    }

    /// Whether `text` is one of the keywords.
    public func matches(_ text: String) -> Bool {
        words.contains(text.trimmingCharacters(in: .whitespacesAndNewlines).uppercased())
    }
}
