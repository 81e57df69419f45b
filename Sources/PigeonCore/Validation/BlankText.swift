/// Whether a required text is blank, with whitespace as the OpenAPI document's `pattern: '\S'` means it
/// (ECMA-262's `\s`, which schema validators and generators use), so the server and the document agree on
/// every text: U+0085 is a character here, U+FEFF is whitespace.
public enum BlankText {
    private static let whitespace: Set<Unicode.Scalar> = Set(
        [
            "\u{09}", "\u{0A}", "\u{0B}", "\u{0C}", "\u{0D}", "\u{20}", "\u{A0}", "\u{1680}", "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}",
            "\u{3000}", "\u{FEFF}",
        ]
            + (0x2000...0x200A).map { Unicode.Scalar($0)! })

    /// True when `text` has no character but whitespace (or none at all).
    public static func isBlank(_ text: String) -> Bool { text.unicodeScalars.allSatisfy(whitespace.contains) }
}
