/// The class of one failed attempt, with what to show about it.
public struct Classification: Sendable, Hashable {
    /// The class that decides the next step.
    public var errorClass: ErrorClass
    /// Meta's error code, when Meta gave one.
    public var code: Int?
    /// A short title: Meta's, the table's, or a description of the network failure.
    public var title: String
    /// Meta's `error_data.details`, or the raw response for non-Graph errors.
    public var details: String?
    /// The HTTP status that came with the failure, if any.
    public var httpStatus: Int?
    /// Pigeon's own cause, for failures Meta gave no code for.
    public var cause: PigeonCause?

    public init(
        errorClass: ErrorClass, code: Int?, title: String, details: String?, httpStatus: Int?, cause: PigeonCause? = nil
    ) {
        self.cause = cause
        self.errorClass = errorClass
        self.code = code
        self.title = title
        self.details = details
        self.httpStatus = httpStatus
    }
}
