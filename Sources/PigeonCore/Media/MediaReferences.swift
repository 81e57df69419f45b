import Foundation

/// References to media library assets in a message payload: `{"media_key": "…"}` wherever Meta takes a
/// media object (`image`, `video` … and template header parameters). Pigeon replaces each with the
/// sender's current media id at send time, so a message queued for days uses the freshest id.
public enum MediaReferences {
    /// The field that names an asset.
    public static let field = "media_key"

    /// Whether the stored payload text may reference an asset (a cheap test, made for every send).
    public static func mayContain(_ payload: String) -> Bool {
        withBytes(payload) { ByteSearch.firstIndex(of: quotedField, in: $0, from: 0) != nil }
    }

    private static let quotedField = Array("\"\(field)\"".utf8)
    private static let marker = Array("\"\(field)\":\"".utf8)

    /// Every asset key `value` references, each once.
    public static func keys(in value: Any) -> [String] {
        var keys: [String] = []
        for reference in references(in: value) where !keys.contains(reference.key) { keys.append(reference.key) }
        return keys
    }

    /// Every reference in `value`, with the name of the field that holds its media object (`image`,
    /// `video`, `audio`, `document`, `sticker`: the kind of media Meta will expect).
    public static func references(in value: Any) -> [(key: String, mediaType: String?)] {
        var references: [(key: String, mediaType: String?)] = []
        visit(value, field: nil) { references.append(($0, $1)) }
        return references
    }

    /// How a reference to `key` is written in a stored payload. Stored payloads are canonical JSON (no
    /// whitespace; every `"` inside a string escaped) and keys are letters, digits, `-`, `_` and `.`, so a
    /// reference is always exactly this text, and this text is never anything but a reference.
    public static func reference(_ key: String) -> String {
        "\"\(field)\":\"\(key)\""
    }

    /// The keys a stored payload references, in order of appearance, each once.
    public static func keys(inPayload payload: String) -> [String] {
        var keys: [String] = []
        scan(payload) { key, _ in if !keys.contains(key) { keys.append(key) } }
        return keys
    }

    /// The stored payload with each reference `"media_key":"<key>"` written as `"id":"<ids[key]>"`; nil when
    /// a key has no id.
    public static func resolve(payload: String, ids: [String: String]) -> String? {
        var resolved = ""
        resolved.reserveCapacity(payload.utf8.count + 16)
        var copied = payload.startIndex
        var complete = true
        scan(payload) { key, range in
            guard let id = ids[key] else {
                complete = false
                return
            }
            resolved += payload[copied..<range.lowerBound]
            resolved += "\"id\":\"\(id)\""
            copied = range.upperBound
        }
        guard complete else { return nil }
        resolved += payload[copied...]
        return resolved
    }

    /// Calls `found` with each referenced key and the range of its whole reference, in order.
    private static func scan(_ payload: String, _ found: (String, Range<String.Index>) -> Void) {
        let references: [(key: Range<Int>, whole: Range<Int>)] = withBytes(payload) { bytes in
            var references: [(key: Range<Int>, whole: Range<Int>)] = []
            var from = 0
            while let start = ByteSearch.firstIndex(of: marker, in: bytes, from: from),
                let close = ByteSearch.firstIndex(of: quote, in: bytes, from: start + marker.count)
            {
                references.append((key: start + marker.count..<close, whole: start..<close + 1))
                from = close + 1
            }
            return references
        }
        let utf8 = payload.utf8
        func index(_ offset: Int) -> String.Index { utf8.index(utf8.startIndex, offsetBy: offset) }
        for reference in references {
            let key = String(payload[index(reference.key.lowerBound)..<index(reference.key.upperBound)])
            found(key, index(reference.whole.lowerBound)..<index(reference.whole.upperBound))
        }
    }

    private static let quote: [UInt8] = [UInt8(ascii: "\"")]

    /// `body` over the payload's UTF-8 bytes (contiguous for native strings; copied otherwise).
    private static func withBytes<T>(_ payload: String, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        if let result = payload.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
        return Array(payload.utf8).withUnsafeBytes(body)
    }

    private static func visit(_ value: Any, field name: String?, _ found: (String, String?) -> Void) {
        if let object = value as? [String: Any] {
            if let key = object[field] as? String { found(key, name) }
            for (childName, child) in object { visit(child, field: childName, found) }
        } else if let array = value as? [Any] {
            for child in array { visit(child, field: name, found) }
        }
    }
}
