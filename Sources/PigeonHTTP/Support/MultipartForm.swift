import Foundation
import MultipartKit
import NIOCore

/// A `multipart/form-data` body read into its parts, with a clear 400 for anything malformed.
struct MultipartForm {
    /// One field or file of the form.
    struct Part {
        /// The part's `name`.
        var name: String
        /// The `filename` of a file part.
        var filename: String?
        /// The part's own `Content-Type`.
        var contentType: String?
        /// Its bytes.
        var body: ByteBuffer

        /// The bytes as text.
        var text: String { String(buffer: body) }
    }

    var parts: [Part]

    /// The first part named `name`.
    subscript(name: String) -> Part? { parts.first { $0.name == name } }

    /// The boundary of a `multipart/form-data` content type; nil for any other content type.
    static func boundary(contentType: String) -> String? {
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard pieces.first?.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() where piece.lowercased().hasPrefix("boundary=") {
            let value = piece.dropFirst("boundary=".count)
            return String(value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 ? value.dropFirst().dropLast() : value)
        }
        return nil
    }

    /// Reads `body` split by `boundary`.
    init(body: ByteBuffer, boundary: String) throws {
        guard !boundary.isEmpty else {
            throw APIError(.badRequest, "invalid_multipart", "the multipart/form-data content type needs a boundary")
        }
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var headers: [(String, String)] = []
        var current = ByteBuffer()
        parser.onHeader = { name, value in headers.append((name.lowercased(), value)) }
        parser.onBody = { chunk in current.writeBuffer(&chunk) }
        parser.onPartComplete = {
            let disposition = headers.first { $0.0 == "content-disposition" }?.1 ?? ""
            let attributes = Self.attributes(disposition)
            parts.append(
                Part(
                    name: attributes["name"] ?? "", filename: attributes["filename"],
                    contentType: headers.first { $0.0 == "content-type" }?.1.trimmingCharacters(in: .whitespaces),
                    body: current))
            headers = []
            current = ByteBuffer()
        }
        do {
            try parser.execute(body)
        } catch {
            throw APIError(.badRequest, "invalid_multipart", "the multipart/form-data body could not be read; check its boundary and part headers")
        }
        guard !parts.isEmpty else {
            throw APIError(.badRequest, "invalid_multipart", "the multipart/form-data body has no parts (is the boundary right?)")
        }
        self.parts = parts
    }

    /// `name="…"` and `filename="…"` of a Content-Disposition header.
    private static func attributes(_ disposition: String) -> [String: String] {
        var attributes: [String: String] = [:]
        for piece in disposition.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            attributes[pair[0].lowercased()] = value
        }
        return attributes
    }
}
