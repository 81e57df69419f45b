import Foundation

/// Meta's rules for uploaded media (`../shared/meta-cloud-api.md` §4): which MIME types each message type
/// takes, how large they may be, and how long an uploaded id lives.
public enum MediaRules {
    /// Uploaded media ids expire 30 days after upload.
    public static let lifetime: Duration = .seconds(30 * 86_400)

    /// Largest size per MIME type, in bytes. `image/webp` is a sticker (animated ones may be 500 KB).
    public static let maxBytes: [String: Int] = [
        "audio/aac": 16 << 20, "audio/amr": 16 << 20, "audio/mpeg": 16 << 20, "audio/mp4": 16 << 20, "audio/ogg": 16 << 20,
        "text/plain": 100 << 20, "application/pdf": 100 << 20,
        "application/msword": 100 << 20, "application/vnd.ms-excel": 100 << 20, "application/vnd.ms-powerpoint": 100 << 20,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 << 20,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100 << 20,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 << 20,
        "image/jpeg": 5 << 20, "image/png": 5 << 20,
        "image/webp": 500 << 10,
        "video/mp4": 16 << 20, "video/3gpp": 16 << 20,
    ]

    /// The MIME types each kind of media message takes (a document takes any of `maxBytes`).
    public static let mimeTypes: [String: Set<String>] = [
        "image": ["image/jpeg", "image/png"], "video": ["video/mp4", "video/3gpp"], "sticker": ["image/webp"],
        "audio": ["audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"],
    ]

    /// Checks that an asset of `mimeType` can be sent where a message puts it (`mediaType`: `image`, `video`…).
    public static func validate(mimeType: String, sentAs mediaType: String?, key: String) throws(ValidationError) {
        guard let mediaType, let allowed = mimeTypes[mediaType], !allowed.contains(mimeType) else { return }
        throw ValidationError(
            "media_type_mismatch",
            "media_key \(key) is \(mimeType), but it is sent as \(mediaType), which takes \(allowed.sorted().joined(separator: " or "))",
            kind: .unusable)
    }

    /// Checks an asset before it is kept: a known MIME type, not empty, within Meta's size for it.
    public static func validate(mimeType: String, size: Int) throws(ValidationError) {
        guard let limit = maxBytes[mimeType] else {
            throw ValidationError(
                "unsupported_media_type",
                "mime_type \(mimeType) is not one Meta accepts; use one of \(maxBytes.keys.sorted().joined(separator: ", "))")
        }
        guard size > 0 else { throw ValidationError("empty_media", "the file is empty") }
        guard size <= limit else {
            throw ValidationError("media_too_large", "\(mimeType) may be at most \(limit) bytes for Meta; this file has \(size)")
        }
    }

    /// Senders named at registration are Meta phone number ids.
    public static func validate(senders: [String]) throws(ValidationError) {
        for sender in senders where !MessageValidator.isSenderID(sender) {
            throw ValidationError("invalid_senders", "senders must be Meta phone number ids (letters, digits, - or _); \(sender) is not one")
        }
    }

    /// A key names an asset in URLs and message bodies: 1–100 letters, digits, `-`, `_` or `.`.
    public static func validate(key: String) throws(ValidationError) {
        let allowed = key.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: ".")
        }
        guard !key.isEmpty, key.utf8.count <= 100, allowed else {
            throw ValidationError("invalid_media_key", "key must be 1-100 characters of letters, digits, '-', '_' or '.'")
        }
    }
}
