/// Turns a failed `SendOutcome` into a `Classification` using an `ErrorTable`.
///
/// Branches on `error.code` (and `error_data.details` where the table says so), never on HTTP status or
/// title. Network failures before the request was written are transient; after it was written, in doubt.
/// An HTTP error without a Graph body is transient. Codes missing from the table are transient.
public struct ErrorClassifier: Sendable {
    /// The table in use.
    public var table: ErrorTable

    public init(table: ErrorTable = .meta) {
        self.table = table
    }

    /// The classification of `outcome`, or `nil` when the outcome is a success.
    public func classify(_ outcome: SendOutcome) -> Classification? {
        switch outcome {
        case .accepted:
            return nil
        case .graphError(let error):
            let rule = table.rule(code: error.code, details: error.details)
            return Classification(
                errorClass: rule?.errorClass ?? .transient,
                code: error.code,
                title: error.title.isEmpty ? (rule?.title ?? "Unknown error") : error.title,
                details: error.details,
                httpStatus: error.httpStatus
            )
        case .httpError(let status, let body):
            return PigeonCause.httpErrorWithoutBody.classification(
                details: body.isEmpty ? nil : String(body.prefix(500)), httpStatus: status)
        case .bridgeError(let status, let body):
            return ErrorTable.wahaCause(status: status, body: body).classification(
                details: body.isEmpty ? nil : String(body.prefix(500)), httpStatus: status)
        case .notDelivered(let reason):
            return PigeonCause.networkError.classification(details: reason)
        case .inDoubt(let reason):
            return PigeonCause.noResponse.classification(details: reason)
        }
    }
}
