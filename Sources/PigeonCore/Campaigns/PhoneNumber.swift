import Foundation

/// Phone numbers as campaigns and opt-outs keep them: E.164, a `+` and 8 to 15 digits with the country code.
public enum PhoneNumber {
    /// `text` in E.164, accepting what people type: spaces, dots, dashes and brackets are dropped, a
    /// leading `00` is read as `+`; a number without `+` is taken to start with its country code. Throws a
    /// message saying what is wrong.
    public static func normalize(_ text: String) throws(ValidationError) -> String {
        var digits = ""
        var sawPlus = false
        for scalar in trimmed(text).unicodeScalars {
            switch scalar {
            case " ", ".", "-", "(", ")", "\u{a0}": continue
            case "+" where digits.isEmpty && !sawPlus: sawPlus = true
            case "0"..."9": digits.unicodeScalars.append(scalar)
            default:
                throw ValidationError("invalid_phone", "\"\(text)\" is not a phone number: use digits with the country code, such as +15550001111")
            }
        }
        if !sawPlus, digits.hasPrefix("00") { digits.removeFirst(2) }
        guard !digits.isEmpty else { throw ValidationError("missing_phone", "the phone number is empty") }
        guard !digits.hasPrefix("0") else {
            throw ValidationError("invalid_phone", "\"\(text)\" has no country code: write it as +<country code><number>, such as +15550001111")
        }
        guard (8...15).contains(digits.count) else {
            throw ValidationError(
                "invalid_phone", "\"\(text)\" has \(digits.count) digits; a number with its country code has 8 to 15, such as +15550001111")
        }
        return "+" + digits
    }

    /// `text` without whitespace at either end; ASCII text (nearly every import row) without asking
    /// `CharacterSet`, whose ASCII members are the space and the tab.
    private static func trimmed(_ text: String) -> Substring {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return Substring(text.trimmingCharacters(in: .whitespaces)) }
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !blank($0) }), let last = text.lastIndex(where: { !blank($0) }) else { return "" }
        return text[first...last]
    }
}
