import Hummingbird

/// An error the client sees, as `{"error": {"code", "message"}}` with an HTTP status. This is the one
/// place that decides what a client is told; internal errors become a generic 500 and are logged.
public struct APIError: Error, Sendable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// Machine-readable code, such as `invalid_to`.
    public var code: String
    /// What went wrong and how to fix it.
    public var message: String
    /// Extra headers (such as `WWW-Authenticate`).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    static func notFound(_ id: String) -> APIError {
        APIError(.notFound, "not_found", "no message with id \(id)")
    }

    /// The JSON response for this error.
    func response() -> Response {
        var response = JSONBody.response(["error": ["code": code, "message": message]], status: status)
        for field in headers { response.headers.append(field) }
        return response
    }
}
