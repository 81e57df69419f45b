import Foundation

/// A message in Meta's format turned into the WAHA call that sends it through a web session
/// (shared/whatsapp-web-bridges.md §A.6): `text` → `sendText`, `image` → `sendImage`, `video` → `sendVideo`,
/// `document` → `sendFile`, `audio` → `sendVoice`, media given by `link`. The one place that knows the
/// mapping: intake asks it whether a web session can send a message at all.
public struct WebSessionMessage: Sendable, Hashable {
    /// The bridge path, such as `/api/sendText`.
    public var path: String
    /// The JSON body.
    public var body: Data
    /// The chat id (`<digits>@c.us`).
    public var chatID: String
    /// How much text it carries (for the typing indicator's length).
    public var textLength: Int

    /// The call for `payload` (a Meta message object) on `session`, or nil when a web session cannot send it
    /// (another type, or media not given by `link`).
    public static func make(payload: String, session: String) -> WebSessionMessage? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any],
            let type = object["type"] as? String ?? (object["text"] != nil ? "text" : nil), let to = object["to"] as? String
        else { return nil }
        let chatID = to.contains("@") ? to : ContactReach.contactKey(to) + "@c.us"
        var body: [String: Any] = ["session": session, "chatId": chatID]
        let path: String
        var text = ""
        if type == "text" {
            guard let content = object["text"] as? [String: Any], let message = content["body"] as? String else { return nil }
            body["text"] = message
            if let preview = content["preview_url"] as? Bool { body["linkPreview"] = preview }
            path = "/api/sendText"
            text = message
        } else {
            guard let route = routes[type], let media = object[type] as? [String: Any], let link = media["link"] as? String,
                media["id"] == nil, media["media_key"] == nil
            else { return nil }
            var file: [String: Any] = ["url": link, "mimetype": mimeType(of: link, type: type)]
            let filename = media["filename"] as? String ?? URL(string: link)?.lastPathComponent
            if let filename, !filename.isEmpty, type == "document" { file["filename"] = filename }
            body["file"] = file
            if let caption = media["caption"] as? String {
                body["caption"] = caption
                text = caption
            }
            if type == "audio" { body["convert"] = true }
            path = route
        }
        guard let data = try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]) else { return nil }
        return WebSessionMessage(path: path, body: data, chatID: chatID, textLength: text.count)
    }

    /// The bridge path of each media type.
    static let routes = ["image": "/api/sendImage", "video": "/api/sendVideo", "document": "/api/sendFile", "audio": "/api/sendVoice"]

    /// MIME types of common file extensions.
    static let extensions = [
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "mp4": "video/mp4", "3gp": "video/3gpp",
        "ogg": "audio/ogg", "opus": "audio/ogg", "mp3": "audio/mpeg", "m4a": "audio/mp4", "aac": "audio/aac", "amr": "audio/amr",
        "pdf": "application/pdf", "txt": "text/plain", "csv": "text/csv", "doc": "application/msword",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "xls": "application/vnd.ms-excel",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]

    /// The MIME type WAHA is told, from the link's extension (else the type's usual one).
    static func mimeType(of link: String, type: String) -> String {
        let ext = (URL(string: link)?.pathExtension ?? "").lowercased()
        if let known = extensions[ext] { return known }
        return switch type {
        case "image": "image/jpeg"
        case "video": "video/mp4"
        case "audio": "audio/ogg; codecs=opus"
        default: "application/octet-stream"
        }
    }
}
