import Hummingbird
import HummingbirdCore
import PigeonCore
import PigeonEngine

/// Pigeon's HTTP API: the router with every route and middleware.
public enum PigeonAPI {
    /// The HTTP/1.1 server Pigeon's API runs on: Hummingbird's, answering `Expect: 100-continue` at once.
    public static var server: HTTPServerBuilder {
        .http1(additionalChannelHandlers: [ExpectContinueHandler()])
    }

    /// The router for `engine`, guarded by `apiKey`; Meta's webhooks are checked with `verifyToken` and
    /// `appSecret` (intake is refused while either is unset); the drop-in endpoint waits up to
    /// `inlineSendTimeout` for a message's first attempt; `metrics` serves `GET /metrics` (off when nil).
    public static func router(
        engine: Engine, apiKey: String, webhookVerifyToken: String? = nil, metaAppSecret: String? = nil,
        inlineSendTimeout: Duration = .seconds(2), graphProxy: (any GraphProxy)? = nil, metrics: MetricsExport? = nil
    ) -> Router<PigeonRequestContext> {
        let service = engine.service
        let router = Router(context: PigeonRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: APIKeyMiddleware(apiKey: apiKey))
        MessageRoutes(service: service).register(on: router)
        OperatorRoutes(service: service).register(on: router)
        SenderRoutes(senders: engine.senders).register(on: router)
        CampaignRoutes(campaigns: engine.campaigns, clock: engine.campaigns.clock).register(on: router)
        WAHAWebhookRoutes(senders: engine.senders, webhooks: engine.webhooks).register(on: router)
        SystemRoutes(service: service, mediaErrors: engine.mediaErrors).register(on: router)
        ForwardRoutes(service: service).register(on: router)
        MediaRoutes(media: engine.media).register(on: router)
        AlertRoutes(store: service.store).register(on: router)
        do {
            try DashboardRoutes(engine: engine, apiKey: apiKey).register(on: router)
        } catch {
            router.get("/dashboard") { _, _ -> Response in throw error }
        }
        if let metrics { MetricsRoutes(service: service, campaigns: engine.campaigns, export: metrics).register(on: router) }
        CloudAPIRoutes(service: service, inlineTimeout: inlineSendTimeout, proxy: graphProxy).register(on: router)
        WebhookRoutes(
            settings: .init(
                intake: engine.webhooks, verifyToken: webhookVerifyToken, appSecret: metaAppSecret,
                forgedSignatures: engine.alerts.forgedSignatures)
        ).register(on: router)
        MethodNotAllowed.register(on: router)
        return router
    }
}
