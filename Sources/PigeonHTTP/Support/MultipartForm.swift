import Foundation
import NIOCore
import PigeonCore

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

    /// Reads `body` split by `boundary` (RFC 7578). Delimiters are found with `ByteSearch`, so a 100 MB
    /// upload splits in milliseconds even in a debug build.
    init(body: ByteBuffer, boundary: String) throws {
        guard !boundary.isEmpty else {
            throw APIError(.badRequest, "invalid_multipart", "the multipart/form-data content type needs a boundary")
        }
        let parts = body.withUnsafeReadableBytes { bytes in Self.split(bytes, delimiter: Array("--\(boundary)".utf8)) }
        guard let parts else {
            throw APIError(.badRequest, "invalid_multipart", "the multipart/form-data body could not be read; check its boundary and part headers")
        }
        guard !parts.isEmpty else {
            throw APIError(.badRequest, "invalid_multipart", "the multipart/form-data body has no parts (is the boundary right?)")
        }
        self.parts = parts.map { range in
            let part = body.getSlice(at: body.readerIndex + range.headers.lowerBound, length: range.headers.count) ?? ByteBuffer()
            let headers = String(buffer: part).components(separatedBy: "\r\n").compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (
                    line[..<colon].trimmingCharacters(in: .whitespaces).lowercased(),
                    line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                )
            }
            let attributes = Self.attributes(headers.first { $0.0 == "content-disposition" }?.1 ?? "")
            return Part(
                name: attributes["name"] ?? "", filename: attributes["filename"], contentType: headers.first { $0.0 == "content-type" }?.1,
                body: body.getSlice(at: body.readerIndex + range.content.lowerBound, length: range.content.count) ?? ByteBuffer())
        }
    }

    /// The header and content ranges of each part; nil when the body is not a well-formed multipart body.
    private static func split(_ bytes: UnsafeRawBufferPointer, delimiter: [UInt8]) -> [(headers: Range<Int>, content: Range<Int>)]? {
        func find(_ needle: [UInt8], from start: Int) -> Int? { ByteSearch.firstIndex(of: needle, in: bytes, from: start) }
        func starts(with text: String, at index: Int) -> Bool {
            let pattern = Array(text.utf8)
            return index + pattern.count <= bytes.count && zip(bytes[index...], pattern).allSatisfy { $0 == $1 }
        }
        // The first delimiter may follow a preamble; every later one follows a CRLF.
        guard var position = find(delimiter, from: 0) else { return nil }
        var parts: [(headers: Range<Int>, content: Range<Int>)] = []
        let crlfDelimiter = Array("\r\n".utf8) + delimiter
        while true {
            var index = position + delimiter.count
            if starts(with: "--", at: index) { return parts }
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
            guard starts(with: "\r\n", at: index) else { return nil }
            index += 2
            let headersEnd: Int
            if starts(with: "\r\n", at: index) {
                headersEnd = index  // a part without headers
            } else {
                guard let end = find(Array("\r\n\r\n".utf8), from: index) else { return nil }
                headersEnd = end + 2
            }
            let contentStart = headersEnd + 2
            guard let next = find(crlfDelimiter, from: contentStart) else { return nil }
            parts.append((headers: index..<headersEnd, content: contentStart..<next))
            position = next + 2
        }
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
