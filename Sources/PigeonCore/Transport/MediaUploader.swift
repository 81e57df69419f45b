import Foundation

/// Uploads media to a sender's phone number (Meta's `POST /{phone_number_id}/media`).
public protocol MediaUploader: Sendable {
    /// Uploads `data` and returns Meta's media id; throws with what Meta said when it refused. `accessToken`
    /// is the sender's own token; nil uploads with the uploader's configured one.
    func uploadMedia(
        _ data: Data, mimeType: String, filename: String, phoneNumberID: String, accessToken: String?
    ) async throws
        -> String
}

/// Fetches an asset's bytes from a URL once, for `POST /v1/media` with `{"url": …}`.
public protocol MediaFetcher: Sendable {
    /// Whether it also fetches plain `http` URLs (the sandbox's, for local file servers); https always.
    var allowsPlainHTTP: Bool { get }
    /// The body at `url` (at most `limit` bytes) and its `Content-Type`; throws with what went wrong.
    func fetch(_ url: URL, limit: Int) async throws -> (data: Data, contentType: String?)
}

extension MediaFetcher {
    /// Whether `url` may be fetched, first or after a redirect: https with a host (or http, when allowed).
    public func fetches(_ url: URL) -> Bool {
        guard url.host != nil, let scheme = url.scheme?.lowercased() else { return false }
        return scheme == "https" || (allowsPlainHTTP && scheme == "http")
    }
}
