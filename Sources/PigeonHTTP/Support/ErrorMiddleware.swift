import Hummingbird
import Logging

/// Turns every error into Pigeon's JSON error shape. `APIError`s are shown as they are; Hummingbird's
/// HTTP errors keep their status; anything else is a 500 whose details go only to the log.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : "http_\(error.status.code)"
            let message =
                error.status == .notFound
                ? "no route for \(request.method) \(request.uri.path); see GET /openapi.yaml for the API"
                : (error.body ?? error.status.reasonPhrase)
            return APIError(error.status, code, message).response()
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return APIError(.internalServerError, "internal_error", "Pigeon could not complete the request; see its log").response()
        }
    }
}
