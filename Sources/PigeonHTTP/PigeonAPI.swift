import Hummingbird
import PigeonEngine

/// Pigeon's HTTP API: the router with every route and middleware.
public enum PigeonAPI {
    /// The router for `service`, guarded by `apiKey`.
    public static func router(service: MessageService, apiKey: String) -> Router<PigeonRequestContext> {
        let router = Router(context: PigeonRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: APIKeyMiddleware(apiKey: apiKey))
        MessageRoutes(service: service).register(on: router)
        OperatorRoutes(service: service).register(on: router)
        SystemRoutes(service: service).register(on: router)
        return router
    }
}
