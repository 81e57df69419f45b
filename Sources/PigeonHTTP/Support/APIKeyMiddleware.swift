import Crypto
import Hummingbird

/// Requires `Authorization: Bearer <api key>` on every path except the public ones. Compares digests,
/// so the comparison takes the same time whatever the key.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Paths reachable without a key (`/metrics` checks its own token, when one is set).
    static var publicPaths: Set<String> { ["/healthz", "/readyz", "/metrics"] }
    /// Prefixes of paths that authenticate otherwise (Meta's webhooks: verify token and signature; the
    /// dashboard: its session cookie).
    static var publicPrefixes: [String] { ["/webhooks/", "/dashboard"] }

    private let expectedDigest: [UInt8]

    init(apiKey: String) {
        expectedDigest = Array(SHA256.hash(data: Array(apiKey.utf8)))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.publicPaths.contains(path) || Self.publicPrefixes.contains(where: path.hasPrefix) {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else {
            throw Self.unauthorized("missing_api_key", "send the API key as the header Authorization: Bearer <PIGEON_API_KEY>")
        }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw Self.unauthorized("invalid_authorization", "the Authorization header must be \"Bearer <PIGEON_API_KEY>\"")
        }
        let presented = Array(SHA256.hash(data: Array(header.dropFirst(7).utf8)))
        guard SignatureCheck.equal(presented, expectedDigest) else {
            throw Self.unauthorized("invalid_api_key", "the API key is not valid; use the one Pigeon printed at first start or PIGEON_API_KEY")
        }
        return try await next(request, context)
    }

    static func unauthorized(_ code: String, _ message: String) -> APIError {
        APIError(.unauthorized, code, message, headers: [.wwwAuthenticate: "Bearer"])
    }
}
