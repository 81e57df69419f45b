import Foundation

/// A typed WhatsApp message in Meta's shape, for code that builds messages rather than passing JSON through.
/// `json()` gives the object Pigeon's API and the Cloud API accept (without `messaging_product`).
public struct CloudMessage: Encodable, Sendable, Hashable {
    /// Recipient, in international format.
    public var to: String
    /// The content.
    public var content: Content

    /// What the message carries.
    public enum Content: Sendable, Hashable {
        /// Free-form text (inside the customer-service window).
        case text(body: String, previewURL: Bool = false)
        /// An approved template.
        case template(Template)
        /// An image, video, audio, document or sticker.
        case media(MediaKind, MediaSource, caption: String? = nil, filename: String? = nil)
    }

    /// Media message types.
    public enum MediaKind: String, Sendable, Hashable, Encodable {
        case image, video, audio, document, sticker
    }

    /// Where media comes from: an uploaded media id, or a link Meta fetches.
    public enum MediaSource: Sendable, Hashable {
        case id(String)
        case link(String)
    }

    public init(to: String, content: Content) {
        self.to = to
        self.content = content
    }

    /// The JSON object for Pigeon's `POST /v1/messages` (Meta's message object without `messaging_product`).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicCodingKey.self)
        try container.encode("individual", forKey: DynamicCodingKey("recipient_type"))
        try container.encode(to, forKey: DynamicCodingKey("to"))
        switch content {
        case .text(let body, let previewURL):
            try container.encode("text", forKey: DynamicCodingKey("type"))
            try container.encode(TextBody(body: body, preview_url: previewURL), forKey: DynamicCodingKey("text"))
        case .template(let template):
            try container.encode("template", forKey: DynamicCodingKey("type"))
            try container.encode(template, forKey: DynamicCodingKey("template"))
        case .media(let kind, let source, let caption, let filename):
            try container.encode(kind.rawValue, forKey: DynamicCodingKey("type"))
            try container.encode(MediaObject(source: source, caption: caption, filename: filename), forKey: DynamicCodingKey(kind.rawValue))
        }
    }

    private struct TextBody: Encodable {
        var body: String
        var preview_url: Bool
    }
}

/// A media reference as Meta expects it (`id` or `link`, plus optional caption and filename).
struct MediaObject: Encodable, Hashable {
    var source: CloudMessage.MediaSource
    var caption: String?
    var filename: String?

    enum CodingKeys: String, CodingKey { case id, link, caption, filename }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch source {
        case .id(let id): try container.encode(id, forKey: .id)
        case .link(let link): try container.encode(link, forKey: .link)
        }
        try container.encodeIfPresent(caption, forKey: .caption)
        try container.encodeIfPresent(filename, forKey: .filename)
    }
}
