import Hummingbird
import Logging
import PigeonCore

/// Turns every error into Pigeon's JSON error shape (Meta's, on the drop-in Graph paths). `APIError`s are
/// shown as they are, a `ValidationError` is a 400 (a 422 when the request is well-formed but names something
/// that cannot be used); an unavailable database is a 503 with `Retry-After`;
/// Hummingbird's HTTP errors keep their status; anything else is a 500 whose details go only to the log.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let render: (APIError) -> Response =
            CloudAPIRoutes.isGraphPath(request.uri.path) ? CloudAPIShapes.metaError : { $0.response() }
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return render(error)
        } catch let error as ValidationError {
            return render(APIError(error.kind == .unusable ? .unprocessableContent : .badRequest, error.code, error.message))
        } catch let error as StoreUnavailable {
            context.logger.warning(
                "request refused: the database is unavailable", metadata: ["error": "\(error.reason)", "path": "\(request.uri.path)"])
            return render(
                APIError(
                    .serviceUnavailable, "store_unavailable",
                    "\(error); retry in a few seconds (with the same idempotency key, so a message stored just before the failure is not stored twice)",
                    headers: [.retryAfter: "\(StoreUnavailable.retryAfter.components.seconds)"]))
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : "http_\(error.status.code)"
            let message =
                error.status == .notFound
                ? "no route for \(request.method) \(request.uri.path); see GET /openapi.yaml for the API"
                : (error.body ?? error.status.reasonPhrase)
            return render(APIError(error.status, code, message))
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return render(APIError(.internalServerError, "internal_error", "Pigeon could not complete the request; see its log"))
        }
    }
}
