import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Calls a running Pigeon's API for the `pigeon campaign` commands, with the API key from
/// `PIGEON_API_KEY`. An answer that is not a success becomes a `CommandFailure` carrying the server's
/// own message, so the user sees what to fix.
struct APIClient: Sendable {
    let http: HTTPClient
    let url: String
    let key: String

    /// Runs `body` with a client for the server at `url`, shut down afterwards.
    static func with<T>(url: String, _ body: (APIClient) async throws -> T) async throws -> T {
        var configuration = HTTPClient.Configuration()
        // A server that is not there is reported in seconds, not after the request's whole deadline.
        configuration.timeout.connect = .seconds(5)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let result = try await body(try APIClient(url: url, http: http))
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    init(url: String, http: HTTPClient, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let key = environment["PIGEON_API_KEY"], !key.isEmpty else {
            throw CommandFailure(
                "set PIGEON_API_KEY to the server's API key (`pigeon api-key` prints the one a sandbox generated)")
        }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw CommandFailure("--url must be an http(s) URL such as http://127.0.0.1:8080, not \(url)")
        }
        self.http = http
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.key = key
    }

    /// Sends a request and returns the answer's JSON object; throws on an error status.
    func json(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = request(method, path)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        }
        return try await object(try await execute(request, timeout: .seconds(60)))
    }

    /// Streams `file` as the body of a POST to `path`, reporting each chunk to `progress` as it is sent;
    /// returns the answer's JSON object.
    func upload(
        _ path: String, file: URL, contentType: String, progress: @escaping @Sendable (ByteBuffer) -> Void
    ) async throws -> [String: Any] {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        let size = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0
        var request = request(.POST, path)
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .stream(FileChunks(handle: handle, progress: progress), length: .known(Int64(size)))
        return try await object(try await execute(request, timeout: .hours(2)))
    }

    /// Writes the body of a GET of `path` to `output` as it arrives.
    func download(_ path: String, to output: FileHandle) async throws {
        let response = try await http.execute(request(.GET, path), timeout: .hours(1))
        guard response.status == .ok else { throw failure(response.status, try await response.body.collect(upTo: 1 << 20)) }
        for try await chunk in response.body { output.write(Data(buffer: chunk)) }
    }

    private func request(_ method: HTTPMethod, _ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        return request
    }

    private func execute(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> (HTTPResponseStatus, ByteBuffer) {
        do {
            let response = try await http.execute(request, timeout: timeout)
            return (response.status, try await response.body.collect(upTo: 64 << 20))
        } catch {
            throw CommandFailure("cannot reach Pigeon at \(url) (\(error)); is `pigeon serve` running there?")
        }
    }

    private func object(_ answer: (HTTPResponseStatus, ByteBuffer)) throws -> [String: Any] {
        guard (200..<300).contains(answer.0.code) else { throw failure(answer.0, answer.1) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: answer.1)) as? [String: Any] else {
            throw CommandFailure("Pigeon answered \(answer.0.code) without a JSON object")
        }
        return object
    }

    /// The server's `{"error": {"code", "message"}}` as a failure.
    private func failure(_ status: HTTPResponseStatus, _ body: ByteBuffer) -> CommandFailure {
        let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        let message = error?["message"] as? String ?? String(buffer: body).prefix(300).description
        return CommandFailure("\(message) (HTTP \(status.code)\((error?["code"] as? String).map { " \($0)" } ?? ""))")
    }
}

/// A file read in chunks as the upload asks for them, so memory stays bounded whatever its size.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let handle: FileHandle
    let progress: @Sendable (ByteBuffer) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle
        let progress: @Sendable (ByteBuffer) -> Void

        mutating func next() async throws -> ByteBuffer? {
            guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
            let chunk = ByteBuffer(data: data)
            progress(chunk)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle, progress: progress) }
}

/// A command that cannot do what was asked, with what to do about it.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
