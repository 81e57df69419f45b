import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import PigeonCore

extension CloudAPIClient: MediaUploader {
    /// A failed media upload.
    public enum MediaUploadError: Error, Sendable, CustomStringConvertible {
        /// Meta answered with a Graph error.
        case graph(GraphError)
        /// Meta answered with something else.
        case unexpected(status: Int, body: String)

        public var description: String {
            switch self {
            case .graph(let error): "Meta refused the upload: \(error.code) \(error.title)\(error.details.map { " (\($0))" } ?? "")"
            case .unexpected(let status, let body): "Meta answered the upload with HTTP \(status): \(body)"
            }
        }
    }

    /// Uploads `data` as media of `mimeType` for `phoneNumberID` (with its own `accessToken`, or the
    /// configured one) and returns Meta's media id.
    public func uploadMedia(
        _ data: Data, mimeType: String, filename: String, phoneNumberID: String, accessToken: String? = nil
    ) async throws -> String {
        let boundary = "pigeon-\(UUID().uuidString)"
        var body = ByteBuffer()
        func field(_ name: String, _ value: String) {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        field("messaging_product", "whatsapp")
        field("type", mimeType)
        body.writeString(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: \(mimeType)\r\n\r\n")
        body.writeBytes(data)
        body.writeString("\r\n--\(boundary)--\r\n")

        var request = HTTPClientRequest(url: "\(configuration.baseURL)/\(configuration.apiVersion)/\(phoneNumberID)/media")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken ?? configuration.accessToken)")
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        request.body = .bytes(body)
        let response = try await execute(request)
        let responseBody = try await response.body.collect(upTo: Self.maxResponseBytes)
        let bytes = Data(buffer: responseBody)
        let status = Int(response.status.code)
        if (200..<300).contains(status),
            let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any], let id = object["id"] as? String
        {
            return id
        }
        if let error = GraphResponseParser.graphError(from: bytes, httpStatus: status) { throw MediaUploadError.graph(error) }
        throw MediaUploadError.unexpected(status: status, body: String(decoding: bytes.prefix(500), as: UTF8.self))
    }
}
