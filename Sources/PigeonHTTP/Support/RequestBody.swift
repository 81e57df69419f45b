import Foundation
import Hummingbird
import NIOCore

/// Reading request bodies: content type, size limits and JSON parsing, each failure a clear 4xx.
enum RequestBody {
    /// Largest body for one message (256 KiB).
    static let maxMessageBytes = 256 * 1024
    /// Largest body for a batch (16 MiB).
    static let maxBatchBytes = 16 * 1024 * 1024

    /// The body's bytes; requires `Content-Type: application/json` unless `optional` and empty.
    static func json(_ request: Request, limit: Int, optional: Bool = false) async throws -> [UInt8] {
        let contentType = request.headers[.contentType]
        let buffer = try await bytes(request, limit: limit, hint: "send less (split a batch into several)")
        if optional && buffer.readableBytes == 0 { return [] }
        guard let contentType, contentType.lowercased().split(separator: ";").first?.trimmingCharacters(in: .whitespaces) == "application/json" else {
            throw APIError(
                .unsupportedMediaType, "unsupported_content_type",
                "send the body as JSON with the header Content-Type: application/json (got \(contentType.map { "\"\($0)\"" } ?? "none"))")
        }
        guard buffer.readableBytes > 0 else {
            throw APIError(.badRequest, "empty_body", "the body is empty; send a JSON object")
        }
        return Array(buffer.readableBytesView)
    }

    /// The whole body, up to `limit` bytes; a larger one is a 413 that ends with `hint`.
    static func bytes(_ request: Request, limit: Int, hint: String) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            let size = limit >= 1 << 20 ? "\(limit >> 20) MiB" : "\(limit >> 10) KiB"
            throw APIError(.contentTooLarge, "body_too_large", "the body is larger than \(size); \(hint)")
        }
    }

    /// Parses `bytes` as a JSON object.
    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw APIError(.badRequest, "malformed_json", "the body is not valid JSON")
        }
        guard let object = value as? [String: Any] else {
            throw APIError(.badRequest, "invalid_body", "the body must be a JSON object")
        }
        return object
    }
}
