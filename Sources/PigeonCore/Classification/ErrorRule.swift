/// One row of the classification table: the class for a Meta error code and Meta's title for it.
public struct ErrorRule: Sendable, Hashable, Codable {
    /// The class the code falls in.
    public var errorClass: ErrorClass
    /// Meta's title for the code (documentation; never branched on).
    public var title: String
    /// When set, the rule applies only when `error_data.details` contains this text (case-insensitive).
    public var detailsContains: String?

    public init(_ errorClass: ErrorClass, _ title: String, detailsContains: String? = nil) {
        self.errorClass = errorClass
        self.title = title
        self.detailsContains = detailsContains
    }

    enum CodingKeys: String, CodingKey {
        case errorClass = "class"
        case title
        case detailsContains = "details_contains"
    }
}
