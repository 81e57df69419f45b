/// A template send: name, language, and the parameters of its header, body and buttons.
public struct Template: Encodable, Sendable, Hashable {
    /// The approved template's name.
    public var name: String
    /// Language code of an approved translation, such as `en_US`.
    public var languageCode: String
    /// Header, body and button components.
    public var components: [Component]

    public init(name: String, languageCode: String, components: [Component] = []) {
        self.name = name
        self.languageCode = languageCode
        self.components = components
    }

    /// One component of a template send.
    public enum Component: Encodable, Sendable, Hashable {
        /// A media header.
        case headerMedia(CloudMessage.MediaKind, CloudMessage.MediaSource, filename: String? = nil)
        /// A text header with its parameters.
        case headerText([Parameter])
        /// The body's parameters.
        case body([Parameter])
        /// A button's parameters (`subType` such as `url` or `quick_reply`, `index` from 0).
        case button(subType: String, index: Int, [Parameter])

        enum CodingKeys: String, CodingKey {
            case type, parameters
            case subType = "sub_type"
            case index
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .headerMedia(let kind, let source, let filename):
                try container.encode("header", forKey: .type)
                try container.encode([HeaderMedia(kind: kind, media: MediaObject(source: source, filename: filename))], forKey: .parameters)
            case .headerText(let parameters):
                try container.encode("header", forKey: .type)
                try container.encode(parameters, forKey: .parameters)
            case .body(let parameters):
                try container.encode("body", forKey: .type)
                try container.encode(parameters, forKey: .parameters)
            case .button(let subType, let index, let parameters):
                try container.encode("button", forKey: .type)
                try container.encode(subType, forKey: .subType)
                try container.encode(String(index), forKey: .index)
                try container.encode(parameters, forKey: .parameters)
            }
        }
    }

    /// A text parameter: positional (`{{1}}`) when `name` is nil, named (`parameter_name`) otherwise.
    public struct Parameter: Encodable, Sendable, Hashable {
        /// The value.
        public var text: String
        /// The placeholder's name, for templates created with named parameters.
        public var name: String?

        public init(_ text: String, name: String? = nil) {
            self.text = text
            self.name = name
        }

        enum CodingKeys: String, CodingKey {
            case type, text
            case name = "parameter_name"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("text", forKey: .type)
            try container.encodeIfPresent(name, forKey: .name)
            try container.encode(text, forKey: .text)
        }
    }

    private struct HeaderMedia: Encodable {
        var kind: CloudMessage.MediaKind
        var media: MediaObject

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: DynamicCodingKey.self)
            try container.encode(kind.rawValue, forKey: DynamicCodingKey("type"))
            try container.encode(media, forKey: DynamicCodingKey(kind.rawValue))
        }
    }

    enum CodingKeys: String, CodingKey { case name, language, components }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(["code": languageCode], forKey: .language)
        if !components.isEmpty { try container.encode(components, forKey: .components) }
    }
}
