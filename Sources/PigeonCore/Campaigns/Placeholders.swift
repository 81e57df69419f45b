import Foundation

/// `{{variable}}` placeholders in a campaign's message: found in every string of the message object and
/// filled from a recipient's variables (letters, digits and `_`; spaces inside the braces are allowed).
public enum Placeholders {
    /// The variable names used anywhere in `object` (a parsed JSON value).
    public static func names(in object: Any) -> Set<String> {
        var names: Set<String> = []
        visit(object) { text in
            for (name, _) in matches(in: text) { names.insert(name) }
        }
        return names
    }

    /// `object` with each placeholder replaced by its value in `values` (JSON-escaped by the encoder later).
    /// Every name must have a value (`names(in:)` is checked at import).
    public static func fill(_ object: Any, with values: [String: String]) -> Any {
        switch object {
        case let text as String: return fill(text, with: values)
        case let array as [Any]: return array.map { fill($0, with: values) }
        case let dictionary as [String: Any]: return dictionary.mapValues { fill($0, with: values) }
        default: return object
        }
    }

    /// `text` with its placeholders replaced; a name without a value is left as written.
    public static func fill(_ text: String, with values: [String: String]) -> String {
        let found = matches(in: text)
        guard !found.isEmpty else { return text }
        var result = ""
        var position = text.startIndex
        for (name, range) in found {
            result += text[position..<range.lowerBound]
            result += values[name] ?? String(text[range])
            position = range.upperBound
        }
        result += text[position...]
        return result
    }

    private static func visit(_ object: Any, _ body: (String) -> Void) {
        switch object {
        case let text as String: body(text)
        case let array as [Any]: for item in array { visit(item, body) }
        case let dictionary as [String: Any]: for value in dictionary.values { visit(value, body) }
        default: break
        }
    }

    /// Each placeholder in `text`: its name and where it is.
    static func matches(in text: String) -> [(String, Range<String.Index>)] {
        var found: [(String, Range<String.Index>)] = []
        var searchFrom = text.startIndex
        while let open = text.range(of: "{{", range: searchFrom..<text.endIndex) {
            guard let close = text.range(of: "}}", range: open.upperBound..<text.endIndex) else { break }
            let name = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if isName(name) {
                found.append((name, open.lowerBound..<close.upperBound))
                searchFrom = close.upperBound
            } else {
                searchFrom = text.index(after: open.lowerBound)
            }
        }
        return found
    }

    /// True for 1–64 ASCII letters, digits or `_`.
    public static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
