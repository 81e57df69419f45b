import Foundation

/// Delivers a forward to the application: one signed POST.
public protocol ForwardTransport: Sendable {
    /// POSTs `body`; returns nil when the application answered 2xx, otherwise what went wrong.
    func post(_ body: Data) async -> ForwardFailure?
}

/// Why a forward was not delivered.
public struct ForwardFailure: Error, Sendable, Hashable {
    /// A short description for the API and the log.
    public var reason: String
    /// The application's HTTP status, when it answered.
    public var httpStatus: Int?

    public init(reason: String, httpStatus: Int?) {
        self.reason = reason
        self.httpStatus = httpStatus
    }
}
