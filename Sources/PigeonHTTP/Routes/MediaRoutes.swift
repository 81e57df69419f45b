import Foundation
import Hummingbird
import PigeonCore
import PigeonEngine

/// The media library: `POST /v1/media` registers an asset (a `multipart/form-data` body with `key` and
/// `file`, optionally `mime_type` and `senders`; or JSON `{"key", "url", "mime_type"}` naming an https URL
/// Pigeon fetches once), `GET /v1/media`, `GET /v1/media/{key}`,
/// `POST /v1/media/{key}/refresh` uploads it again, `DELETE /v1/media/{key}`.
struct MediaRoutes {
    /// Largest registration body: Meta's largest media (documents, 100 MB) and the form around it.
    static let maxBodyBytes = 101 * 1024 * 1024

    let media: MediaService?

    func register(on router: Router<PigeonRequestContext>) {
        router.post("/v1/media") { request, _ in try await create(request) }
        router.get("/v1/media") { _, _ in try await list() }
        router.get("/v1/media/:key") { _, context in try await show(context) }
        router.post("/v1/media/:key/refresh") { _, context in try await refresh(context) }
        router.delete("/v1/media/:key") { request, context in try await delete(request, context) }
    }

    private func library() throws -> MediaService {
        guard let media else {
            throw APIError(.serviceUnavailable, "media_unavailable", "this transport cannot upload media, so the media library is off")
        }
        return media
    }

    private func create(_ request: Request) async throws -> Response {
        let media = try library()
        let contentType = request.headers[.contentType] ?? ""
        let result: (asset: MediaAsset, created: Bool)
        do {
            if contentType.lowercased().hasPrefix("application/json") {
                result = try await createFromURL(request, media: media)
            } else {
                result = try await createFromForm(request, contentType: contentType, media: media)
            }
        } catch let error as ValidationError {
            let status: HTTPResponse.Status =
                switch error.code {
                case "media_too_large": .contentTooLarge
                default: error.kind == .unusable ? .unprocessableContent : .badRequest
                }
            throw APIError(status, error.code, error.message)
        }
        return JSONBody.response(Self.view(result.asset), status: result.created ? .created : .ok)
    }

    private func createFromForm(
        _ request: Request, contentType: String, media: MediaService
    ) async throws
        -> (asset: MediaAsset, created: Bool)
    {
        guard let boundary = MultipartForm.boundary(contentType: contentType) else {
            throw APIError(
                .unsupportedMediaType, "unsupported_content_type",
                "send the asset as multipart/form-data with the fields key and file (and optionally mime_type, senders), or as JSON {\"key\", \"url\", \"mime_type\"}"
            )
        }
        let body = try await RequestBody.bytes(request, limit: Self.maxBodyBytes, hint: "Meta's largest media (documents) is 100 MB")
        let form = try MultipartForm(body: body, boundary: boundary)
        guard let key = form["key"]?.text, !key.isEmpty else {
            throw APIError(.badRequest, "missing_key", "the form needs a key field naming the asset, such as onboarding-video-hi")
        }
        guard let file = form["file"] else {
            throw APIError(.badRequest, "missing_file", "the form needs a file field with the asset's bytes")
        }
        guard let mimeType = (form["mime_type"]?.text ?? file.contentType)?.lowercased(), !mimeType.isEmpty else {
            throw APIError(.badRequest, "missing_mime_type", "give the file part a Content-Type, or add a mime_type field")
        }
        return try await media.register(
            key: key, data: Data(buffer: file.body), mimeType: mimeType, filename: file.filename,
            senders: Self.senders(form["senders"]?.text ?? ""))
    }

    private func createFromURL(_ request: Request, media: MediaService) async throws -> (asset: MediaAsset, created: Bool) {
        let object = try RequestBody.object(try await RequestBody.json(request, limit: RequestBody.maxMessageBytes))
        guard let key = object["key"] as? String, !key.isEmpty else {
            throw APIError(.badRequest, "missing_key", "key is required: the asset's name, such as onboarding-video-hi")
        }
        guard let url = object["url"] as? String else {
            throw APIError(.badRequest, "missing_url", "url is required: an https URL Pigeon fetches once (or send multipart/form-data with a file)")
        }
        if object["mime_type"] != nil, !(object["mime_type"] is String) {
            throw APIError(.badRequest, "invalid_mime_type", "mime_type must be a string such as video/mp4")
        }
        if object["senders"] != nil, !(object["senders"] is [String]) {
            throw APIError(.badRequest, "invalid_senders", "senders must be a list of phone number ids, such as [\"100000000000001\"]")
        }
        return try await media.register(
            key: key, url: url, mimeType: (object["mime_type"] as? String)?.lowercased(),
            senders: Self.senders((object["senders"] as? [String])?.joined(separator: ",") ?? ""))
    }

    private static func senders(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private func list() async throws -> Response {
        JSONBody.response(["media": try await library().assets().map(Self.view)])
    }

    private func show(_ context: PigeonRequestContext) async throws -> Response {
        let key = try Self.key(context)
        guard let asset = try await library().asset(key) else { throw Self.notFound(key) }
        return JSONBody.response(Self.view(asset))
    }

    private func refresh(_ context: PigeonRequestContext) async throws -> Response {
        let key = try Self.key(context)
        guard let asset = try await library().refresh(key: key, reason: .manual) else { throw Self.notFound(key) }
        return JSONBody.response(Self.view(asset))
    }

    private func delete(_ request: Request, _ context: PigeonRequestContext) async throws -> Response {
        let key = try Self.key(context)
        let force: Bool
        switch request.uri.queryParameters.get("force") {
        case nil, "false": force = false
        case "true": force = true
        default: throw APIError(.badRequest, "invalid_force", "force must be true or false")
        }
        do {
            guard try await library().delete(key: key, force: force) else { throw Self.notFound(key) }
        } catch let inUse as MediaInUse {
            throw APIError(
                .conflict, "media_in_use",
                "\(inUse.unsentMessages) unsent message(s) name media_key \(key) and would fail without it; wait for them, cancel them, or DELETE /v1/media/\(key)?force=true"
            )
        }
        return Response(status: .noContent)
    }

    private static func key(_ context: PigeonRequestContext) throws -> String {
        guard let key = context.parameters.get("key") else { throw APIError(.badRequest, "missing_key", "name the asset's key in the path") }
        return key
    }

    private static func notFound(_ key: String) -> APIError {
        APIError(.notFound, "not_found", "no media asset with key \(key); GET /v1/media lists them")
    }

    static func view(_ asset: MediaAsset) -> [String: Any] {
        [
            "key": asset.key,
            "sha256": asset.sha256,
            "mime_type": asset.mimeType,
            "size": asset.size,
            "filename": asset.filename,
            "created_at": JSONBody.date(asset.createdAt),
            "updated_at": JSONBody.date(asset.updatedAt),
            "senders": asset.uploads.map { upload in
                [
                    "sender_id": upload.senderID,
                    "media_id": JSONBody.value(upload.mediaID),
                    "uploaded_at": JSONBody.date(upload.uploadedAt),
                    "expires_at": JSONBody.date(upload.expiresAt),
                    "stale": upload.mediaID != nil && upload.sha256 != asset.sha256,
                    "history": upload.history.map { refresh in
                        [
                            "reason": refresh.reason.rawValue,
                            "at": JSONBody.date(refresh.at),
                            "old_media_id": JSONBody.value(refresh.oldMediaID),
                            "new_media_id": JSONBody.value(refresh.newMediaID),
                            "error": JSONBody.value(refresh.error),
                            "sha256": JSONBody.value(refresh.sha256),
                        ] as [String: Any]
                    },
                ] as [String: Any]
            },
        ]
    }
}
