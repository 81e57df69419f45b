import Foundation
import NIOCore

/// A `multipart/form-data` request body, as a browser or `curl -F` sends it.
public enum MultipartBody {
    /// Text `fields` and, unless nil, a `file` part; returns the body and its `Content-Type`.
    public static func make(_ fields: [(String, String)], file: (bytes: [UInt8], type: String?, name: String)?) -> (ByteBuffer, String) {
        let boundary = "test-boundary-\(UUID().uuidString)"
        var body = ByteBuffer()
        for (name, value) in fields {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        if let file {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.name)\"\r\n")
            if let type = file.type { body.writeString("Content-Type: \(type)\r\n") }
            body.writeString("\r\n")
            body.writeBytes(file.bytes)
            body.writeString("\r\n")
        }
        body.writeString("--\(boundary)--\r\n")
        return (body, "multipart/form-data; boundary=\(boundary)")
    }
}
