import Foundation

/// References to media library assets in a message payload: `{"media_key": "…"}` wherever Meta takes a
/// media object (`image`, `video` … and template header parameters). Pigeon replaces each with the
/// sender's current media id at send time, so a message queued for days uses the freshest id.
public enum MediaReferences {
    /// The field that names an asset.
    public static let field = "media_key"

    /// Whether the stored payload text may reference an asset (a cheap test before parsing).
    public static func mayContain(_ payload: String) -> Bool {
        payload.contains("\"\(field)\"")
    }

    /// Every asset key `value` references, in order of appearance, each once.
    public static func keys(in value: Any) -> [String] {
        var keys: [String] = []
        visit(value) { key in if !keys.contains(key) { keys.append(key) } }
        return keys
    }

    /// The keys a stored payload references (none when it does not parse).
    public static func keys(inPayload payload: String) -> [String] {
        guard mayContain(payload), let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) else { return [] }
        return keys(in: object)
    }

    /// `value` with each `{"media_key": key, …}` turned into `{"id": ids[key], …}`; nil when a key has no id.
    public static func resolve(_ value: Any, ids: [String: String]) -> Any? {
        if var object = value as? [String: Any] {
            if let key = object[field] as? String {
                guard let id = ids[key] else { return nil }
                object.removeValue(forKey: field)
                object["id"] = id
            }
            for (name, child) in object where child is [String: Any] || child is [Any] {
                guard let resolved = resolve(child, ids: ids) else { return nil }
                object[name] = resolved
            }
            return object
        }
        if let array = value as? [Any] {
            var resolved: [Any] = []
            resolved.reserveCapacity(array.count)
            for child in array {
                guard let item = resolve(child, ids: ids) else { return nil }
                resolved.append(item)
            }
            return resolved
        }
        return value
    }

    private static func visit(_ value: Any, _ found: (String) -> Void) {
        if let object = value as? [String: Any] {
            if let key = object[field] as? String { found(key) }
            for child in object.values { visit(child, found) }
        } else if let array = value as? [Any] {
            for child in array { visit(child, found) }
        }
    }
}
