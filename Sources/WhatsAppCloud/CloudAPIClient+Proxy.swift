import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import PigeonCore

extension CloudAPIClient: GraphProxy {
    /// Largest body passed through either way (Meta's media limit is 100 MB).
    static let maxProxiedBytes = 110 * 1024 * 1024

    public func forward(method: String, path: String, contentType: String?, body: [UInt8]) async throws -> GraphProxyResponse {
        var request = HTTPClientRequest(url: configuration.baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.accessToken)")
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await execute(request)
        let bytes = try await response.body.collect(upTo: Self.maxProxiedBytes)
        return GraphProxyResponse(
            status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
            body: Array(bytes.readableBytesView))
    }
}
