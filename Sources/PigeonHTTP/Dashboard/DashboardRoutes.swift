import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import PigeonCore
import PigeonEngine

/// The operator dashboard at `/dashboard`: server-rendered pages (swift-mustache templates in
/// `Resources/dashboard`) behind a login that turns the API key into a session cookie (HttpOnly,
/// SameSite=Strict; `DashboardSession`). Every action is a POST carrying the session's form token from a
/// page of the same origin; it answers with a redirect that says how many messages moved.
struct DashboardRoutes {
    let service: MessageService
    let senders: SenderService
    let campaigns: CampaignService
    let media: MediaService?
    let session: DashboardSession
    let library: MustacheLibrary
    /// The page size of lists.
    static let pageSize = 50
    static let pages = [
        "head", "foot", "login", "overview", "dead_letters", "message", "senders", "campaigns", "campaign_failed", "media", "forwards",
    ]
    static let assets = ["dashboard.css": "text/css; charset=utf-8", "dashboard.js": "text/javascript; charset=utf-8"]

    init(engine: Engine, apiKey: String) throws {
        service = engine.service
        senders = engine.senders
        campaigns = engine.campaigns
        media = engine.media
        session = DashboardSession(apiKey: apiKey)
        var library = MustacheLibrary()
        for name in Self.pages {
            try library.register(try Self.resource(name + ".mustache"), named: name)
        }
        self.library = library
    }

    static func resource(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "dashboard"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { throw APIError(.internalServerError, "missing_dashboard", "the dashboard's \(name) is missing from this build") }
        return text
    }

    func register(on router: Router<PigeonRequestContext>) {
        router.get("/dashboard/login") { _, _ in page("login", ["title": "Sign in"]) }
        router.post("/dashboard/login") { request, _ in try await login(request) }
        router.post("/dashboard/logout") { request, _ in
            _ = try await form(request)
            var response = Self.redirect("/dashboard/login")
            response.setCookie(Cookie(name: DashboardSession.cookieName, value: "", maxAge: 0, path: "/dashboard", sameSite: .strict))
            return response
        }
        router.get("/dashboard") { request, _ in
            guard let token = signedIn(request) else { return Self.redirect("/dashboard/login") }
            return try await overview(token: token)
        }
        router.get("/dashboard/dead-letters") { request, _ in
            guard let token = signedIn(request) else { return Self.redirect("/dashboard/login") }
            return try await deadLetters(request, token: token)
        }
        router.get("/dashboard/messages/:id") { request, context in
            guard let token = signedIn(request) else { return Self.redirect("/dashboard/login") }
            return try await message(context.parameters.get("id") ?? "", token: token)
        }
        router.post("/dashboard/messages/:id/retry") { request, context in
            _ = try await form(request)
            let moved = try await service.retry(MessageID(rawValue: context.parameters.get("id") ?? "")) != nil ? 1 : 0
            return Self.redirect("/dashboard/dead-letters?moved=\(moved)")
        }
        router.post("/dashboard/dead-letters/selected") { request, _ in
            let fields = try await form(request)
            let ids = (fields["id"] ?? "").split(separator: ",").map { MessageID(rawValue: String($0)) }
            switch fields["do"] {
            case "retry":
                var moved = 0
                for id in ids where try await service.retry(id) != nil { moved += 1 }
                return Self.redirect("/dashboard/dead-letters?moved=\(moved)")
            case "delete":
                var deleted = 0
                for id in ids where try await service.store.delete(id, where: { $0.status == .failed }) == .deleted { deleted += 1 }
                return Self.redirect("/dashboard/dead-letters?deleted=\(deleted)")
            default:
                throw APIError(.badRequest, "invalid_action", "do must be retry or delete")
            }
        }
        router.post("/dashboard/dead-letters/retry") { request, _ in
            let fields = try await form(request)
            var filter = try Self.filter(fields)
            filter.status = .failed
            let moved = try await service.retryAll(filter)
            return Self.redirect("/dashboard/dead-letters?moved=\(moved)")
        }
        registerOperations(on: router)
        router.get("/dashboard/assets/:file") { _, context in
            let name = context.parameters.get("file") ?? ""
            guard let type = Self.assets[name] else { throw APIError(.notFound, "not_found", "no dashboard asset \(name)") }
            return Response(
                status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: try Self.resource(name))))
        }
    }

    // MARK: Login and forms

    /// The form token of the request's valid session, or nil when it has none.
    private func signedIn(_ request: Request) -> String? {
        guard let value = request.cookies[DashboardSession.cookieName]?.value, session.valid(value, now: Date()) else { return nil }
        return session.formToken(for: value)
    }

    private func login(_ request: Request) async throws -> Response {
        let fields = try await Self.fields(request)
        guard let key = fields["api_key"], session.accepts(apiKey: key) else {
            return page(
                "login", ["title": "Sign in", "error": "That is not the API key. Use the key Pigeon printed at its first start, or PIGEON_API_KEY."],
                status: .unauthorized)
        }
        var response = Self.redirect("/dashboard")
        let secure = request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https"
        response.setCookie(
            Cookie(
                name: DashboardSession.cookieName, value: session.issue(now: Date()), maxAge: Int(DashboardSession.lifetime), path: "/dashboard",
                secure: secure, httpOnly: true, sameSite: .strict))
        return response
    }

    /// The fields of an action's form, once its session, its form token and its origin are checked.
    private func form(_ request: Request) async throws -> [String: String] {
        if let origin = request.headers[.origin], let host = request.headers[HTTPField.Name("Host")!] ?? request.head.authority,
            URL(string: origin)?.host != URL(string: "http://" + host)?.host
        {
            throw APIError(.forbidden, "cross_origin_form", "this form was posted from another site; open the dashboard and use its buttons")
        }
        let fields = try await Self.fields(request)
        guard let value = request.cookies[DashboardSession.cookieName]?.value, session.valid(value, now: Date()),
            session.validForm(fields["form_token"], session: value)
        else {
            throw APIError(.forbidden, "session_expired", "your dashboard session expired or the form is stale: sign in again and retry")
        }
        return fields
    }

    /// A urlencoded form body's fields (a name given several times, such as the selected messages' `id`,
    /// under `name` joined by commas).
    static func fields(_ request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: 256 * 1024)
        var components = URLComponents()
        components.percentEncodedQuery = String(buffer: buffer).replacingOccurrences(of: "+", with: "%20")
        var fields: [String: String] = [:]
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            fields[item.name] = fields[item.name].map { $0 + "," + value } ?? value
        }
        return fields
    }

    /// The dead-letter filter of query or form fields; a bad value is a 400 that says what to fix.
    static func filter(_ fields: [String: String]) throws -> MessageFilter {
        var filter = MessageFilter(status: .failed)
        if let text = fields["error_code"], !text.isEmpty {
            guard let code = Int(text) else { throw APIError(.badRequest, "invalid_error_code", "error_code must be a number such as 131026") }
            filter.errorCode = code
        }
        if let text = fields["class"], !text.isEmpty {
            guard let errorClass = ErrorClass(rawValue: text) else {
                throw APIError(.badRequest, "invalid_class", "class must be one of \(ErrorClass.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.errorClass = errorClass
        }
        if let sender = fields["sender"], !sender.isEmpty { filter.senderID = sender }
        if let campaign = fields["campaign"], !campaign.isEmpty { filter.campaignID = campaign }
        if let text = fields["since"], !text.isEmpty {
            guard let since = Self.localTime(text) else {
                throw APIError(.badRequest, "invalid_since", "since must be a date and time such as 2026-12-04T09:30 (UTC)")
            }
            filter.since = since
        }
        return filter
    }

    /// A `datetime-local` value (`yyyy-MM-ddTHH:mm`, seconds optional), read as UTC.
    static func localTime(_ text: String) -> Date? {
        let strategy = Date.ISO8601FormatStyle(timeZone: .gmt)
        return (try? strategy.parse(text + ":00Z")) ?? (try? strategy.parse(text + "Z"))
    }

    // MARK: Pages

    private func overview(token: String) async throws -> Response {
        let report = await HealthCheck(service: service).run()
        let now = campaigns.clock.now()
        let lastHour = try await service.store.stats(windowStart: now.addingTimeInterval(-3600))
        let alerts = try await service.store.alerts(status: .open, limit: 20, cursor: nil).alerts
        let minutes = try await Self.lastHourByMinute(service.store, now: now)
        let codes = try await service.store.topFailureCodes(limit: 10)
        var funnels: [[String: Any]] = []
        for (label, seconds) in [("Last hour", 3600.0), ("Last day", 86400.0)] {
            let funnel = try await service.store.funnel(since: now.addingTimeInterval(-seconds))
            let share = { (count: Int) in funnel.accepted == 0 ? "—" : "\(Int((Double(count) * 100 / Double(funnel.accepted)).rounded())) %" }
            funnels.append([
                "label": label, "accepted": funnel.accepted, "sent": funnel.sent, "sentShare": share(funnel.sent), "delivered": funnel.delivered,
                "deliveredShare": share(funnel.delivered), "read": funnel.read, "readShare": share(funnel.read),
            ])
        }
        return page(
            "overview",
            [
                "title": "Overview", "signedIn": true, "formToken": token, "live": true, "nav": ["overview": true],
                "health": [
                    "overall": report.health.overall.rawValue,
                    "reasons": report.health.reasons.map { ["level": $0.level.rawValue, "code": $0.code, "message": $0.message] },
                ],
                "queue": MessageStatus.allCases.map { ["status": $0.rawValue, "count": report.queue?[$0] ?? 0] },
                "attemptsLastHour": lastHour.attemptsInWindow, "retriesLastHour": lastHour.retriesInWindow,
                "senders": report.senders.map { sender in
                    [
                        "id": sender.id, "kind": sender.kind.rawValue, "pool": sender.pool, "status": sender.health.status.rawValue,
                        "consecutiveFailures": sender.health.consecutiveFailures,
                        "lastFailure": sender.health.lastFailureReason.map { "\(Self.time(sender.health.lastFailureAt)): \($0)" } ?? "—",
                    ] as [String: Any]
                },
                "alerts": alerts.map { ["kind": $0.kind.rawValue, "message": $0.message, "firstSeenAt": Self.time($0.firstSeenAt)] },
                "throughputChart": SVGChart(
                    title: "Attempts per minute, last hour", values: minutes.map { Double($0.attempts) }, format: { "\(Int($0)) attempts" }
                ).svg,
                "retryChart": SVGChart(
                    title: "Retry rate per minute, last hour",
                    values: minutes.map { $0.attempts == 0 ? 0 : Double($0.retries) * 100 / Double($0.attempts) },
                    format: { "\(Int($0.rounded())) %" }
                ).svg,
                "funnels": funnels,
                "codes": codes.map {
                    ["code": $0.code.map(String.init) ?? "none", "link": $0.code != nil, "title": $0.title ?? "—", "count": $0.count] as [String: Any]
                },
            ])
    }

    /// The last hour's attempts per minute, a value for every minute (zero where none started).
    static func lastHourByMinute(_ store: any PigeonStore, now: Date) async throws -> [AttemptMinute] {
        let first = (Int64(now.timeIntervalSince1970) / 60 - 59) * 60
        let found = Dictionary(
            try await store.attemptMinutes(since: Date(timeIntervalSince1970: Double(first))).map { (Int64($0.minute.timeIntervalSince1970), $0) },
            uniquingKeysWith: { $1 })
        return (0..<60).map { step in
            let minute = first + Int64(step) * 60
            return found[minute] ?? AttemptMinute(minute: Date(timeIntervalSince1970: Double(minute)), attempts: 0, retries: 0)
        }
    }

    private func deadLetters(_ request: Request, token: String) async throws -> Response {
        let query = request.uri.queryParameters
        var fields: [String: String] = [:]
        for key in ["error_code", "class", "sender", "campaign", "since", "cursor", "moved", "deleted"] { fields[key] = query.get(key) }
        let filter = try Self.filter(fields)
        let cursor = fields["cursor"].flatMap(Int64.init)
        let page = try await service.list(filter, limit: Self.pageSize, cursor: cursor)
        let campaignOf = try await service.store.campaigns(of: page.messages.map(\.id))
        let filterQuery = ["error_code", "class", "sender", "campaign", "since"].compactMap { key in
            fields[key].flatMap { $0.isEmpty ? nil : "&\(key)=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
        }.joined()
        var context: [String: Any] = [
            "title": "Dead letters", "signedIn": true, "formToken": token, "nav": ["deadLetters": true],
            "filter": [
                "errorCode": fields["error_code"] ?? "", "errorClass": fields["class"] ?? "", "sender": fields["sender"] ?? "",
                "campaign": fields["campaign"] ?? "", "since": fields["since"] ?? "",
            ],
            "classes": ErrorClass.allCases.map { ["value": $0.rawValue, "selected": $0 == filter.errorClass] },
            "messages": page.messages.map { message in
                [
                    "id": message.id.rawValue, "to": message.recipient, "code": message.state.lastError?.code.map(String.init) ?? "—",
                    "errorClass": message.state.lastError?.errorClass.rawValue ?? "—", "title": message.state.lastError?.title ?? "—",
                    "sender": message.senderID, "campaign": campaignOf[message.id] ?? "—", "updatedAt": Self.time(message.updatedAt),
                ]
            },
            "count": page.messages.count, "more": page.nextCursor != nil, "filterQuery": filterQuery,
        ]
        if let next = page.nextCursor { context["next"] = String(next) }
        if let moved = fields["moved"].flatMap(Int.init) {
            context["notice"] = moved == 1 ? "1 message moved to queued." : "\(moved) messages moved to queued."
        }
        if let deleted = fields["deleted"].flatMap(Int.init) {
            context["notice"] = deleted == 1 ? "1 message deleted." : "\(deleted) messages deleted."
        }
        return self.page("dead_letters", context)
    }

    private func message(_ id: String, token: String) async throws -> Response {
        guard let detail = try await service.message(MessageID(rawValue: id)) else {
            throw APIError(.notFound, "not_found", "no message \(id)")
        }
        let record = detail.record
        return page(
            "message",
            [
                "title": "Message \(id)", "signedIn": true, "formToken": token, "id": id, "status": record.state.status.rawValue,
                "to": record.recipient, "sender": record.senderID, "type": record.type, "attempts": record.state.attempts,
                "maxAttempts": record.state.maxAttempts,
                "failure": record.state.lastError.map { "\($0.code.map(String.init) ?? "—") \($0.title) (\($0.errorClass.rawValue))" } ?? "—",
                "history": detail.history.map { attempt in
                    [
                        "number": attempt.number, "startedAt": Self.time(attempt.startedAt), "outcome": attempt.outcome.rawValue,
                        "code": attempt.error?.code.map(String.init) ?? "", "errorClass": attempt.error?.errorClass.rawValue ?? "",
                        "title": attempt.error?.title ?? "", "sender": attempt.senderID ?? "", "duration": attempt.durationMs.map(String.init) ?? "",
                    ] as [String: Any]
                },
                "events": detail.events.map { ["receivedAt": Self.time($0.receivedAt), "status": $0.report.status, "outcome": $0.outcome.rawValue] },
            ])
    }

    // MARK: Senders, campaigns, media, forwards

    private func registerOperations(on router: Router<PigeonRequestContext>) {
        router.get("/dashboard/senders") { request, _ in
            guard let token = signedIn(request) else { return Self.redirect("/dashboard/login") }
            return try await sendersPage(token: token, notice: request.uri.queryParameters.get("done"))
        }
        router.get("/dashboard/senders/:id/qr") { request, context in
            guard signedIn(request) != nil else { throw APIError(.unauthorized, "signed_out", "sign in to the dashboard first") }
            guard case .image(let png)? = try await senders.pair(context.parameters.get("id") ?? "", .qrImage) else {
                throw APIError(.conflict, "not_waiting_for_pairing", "this sender is not waiting for a QR code scan")
            }
            return Response(
                status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-store"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: png)))
        }
        router.post("/dashboard/senders/:id/:action") { request, context in
            _ = try await form(request)
            let id = context.parameters.get("id") ?? ""
            let action = context.parameters.get("action") ?? ""
            guard let event = Self.senderEvents[action] else { throw APIError(.notFound, "not_found", "no sender action \(action)") }
            guard try await senders.apply(event, to: id) != nil else { throw APIError(.notFound, "not_found", "no sender \(id)") }
            return Self.redirect("/dashboard/senders?done=\(action)")
        }
        router.get("/dashboard/campaigns") { request, _ in
            guard let token = signedIn(request) else { return Self.redirect("/dashboard/login") }
            return try await campaignsPage(token: token, notice: request.uri.queryParameters.get("done"))
        }
        router.post("/dashboard/campaigns/:id/:action") { request, context in
            _ = try await form(request)
            let id = context.parameters.get("id") ?? ""
            guard let action = CampaignAction(rawValue: context.parameters.get("action") ?? ""), [.pause, .resume].contains(action) else {
                throw APIError(.notFound, "not_found", "the dashboard pauses and resumes campaigns")
            }
            do {
                guard try await campaigns.act(action, on: id) != nil else { throw APIError(.notFound, "not_found", "no campaign \(id)") }
            } catch let refusal as CampaignRefusal {
                throw APIError(.conflict, "invalid_state", refusal.message)
            }
            return Self.redirect("/dashboard/campaigns?done=\(action.rawValue)")
        }
        router.get("/dashboard/campaigns/:id/failed") { request, context in
            guard let token = signedIn(request) else { return Self.redirect("/dashboard/login") }
            return try await failedRecipientsPage(context.parameters.get("id") ?? "", token: token)
        }
        router.get("/dashboard/campaigns/:id/failed.csv") { request, context in
            guard signedIn(request) != nil else { throw APIError(.unauthorized, "signed_out", "sign in to the dashboard first") }
            guard let campaign = try await campaigns.campaign(context.parameters.get("id") ?? "") else {
                throw APIError(.notFound, "not_found", "no such campaign")
            }
            return try await CampaignRoutes.export(campaign, status: .failed, from: campaigns)
        }
        router.get("/dashboard/forwards") { request, _ in
            guard let token = signedIn(request) else { return Self.redirect("/dashboard/login") }
            return try await forwardsPage(token: token, notice: request.uri.queryParameters.get("done"))
        }
        router.post("/dashboard/forwards/:id/retry") { request, context in
            _ = try await form(request)
            guard let id = context.parameters.get("id").flatMap(Int64.init), try await service.retryForward(id) != nil else {
                throw APIError(.notFound, "not_found", "no such forward")
            }
            return Self.redirect("/dashboard/forwards?done=retry")
        }
        router.get("/dashboard/media") { request, _ in
            guard let token = signedIn(request) else { return Self.redirect("/dashboard/login") }
            return try await mediaPage(token: token)
        }
    }

    /// The sender actions the dashboard offers, by path.
    static let senderEvents: [String: SenderEvent] = [
        "connect": .connect, "pause": .pause, "resume": .resume, "disconnect": .disconnect(forgetSession: false),
    ]

    private func sendersPage(token: String, notice: String?) async throws -> Response {
        let today = try await senders.sentToday()
        let now = String(Int(Date().timeIntervalSince1970))
        let rows = try await senders.reload().map { sender -> [String: Any] in
            let status = sender.health.status
            var actions: [[String: String]] = []
            if status != .disabled { actions.append(["action": "connect", "label": "Reconnect"]) }
            if status == .paused { actions.append(["action": "resume", "label": "Resume"]) }
            if status != .paused && status != .disabled { actions.append(["action": "pause", "label": "Pause"]) }
            if status != .disabled { actions.append(["action": "disconnect", "label": "Force disconnect"]) }
            var row: [String: Any] = [
                "id": sender.id, "kind": sender.kind.rawValue, "pool": sender.pool, "status": status.rawValue,
                "consecutiveFailures": sender.health.consecutiveFailures,
                "lastFailure": sender.health.lastFailureReason.map { "\(Self.time(sender.health.lastFailureAt)): \($0)" } ?? "—",
                "sentToday": today[sender.id] ?? 0, "quality": sender.numberHealth.qualityRating ?? "—",
                "tier": sender.numberHealth.messagingLimit ?? "—", "actions": actions,
                "pairing": sender.kind == .webSession && status == .needsPairing, "now": now,
            ]
            if let cap = sender.limits.dailyCap { row["cap"] = cap }
            return row
        }
        var context: [String: Any] = [
            "title": "Senders", "signedIn": true, "formToken": token, "live": true, "nav": ["senders": true], "senders": rows,
        ]
        if let notice, Self.senderEvents[notice] != nil { context["notice"] = "Done: \(notice)." }
        return page("senders", context)
    }

    private func campaignsPage(token: String, notice: String?) async throws -> Response {
        var rows: [[String: Any]] = []
        for campaign in try await campaigns.all(where: { _ in true }) {
            let counts = try await campaigns.counts(campaign.id)
            let count = { (status: RecipientStatus) in counts.byStatus[status] ?? 0 }
            var actions: [[String: String]] = []
            if CampaignLifecycle.next(campaign.status, .pause) != nil { actions.append(["action": "pause", "label": "Pause"]) }
            if CampaignLifecycle.next(campaign.status, .resume) != nil { actions.append(["action": "resume", "label": "Resume"]) }
            rows.append([
                "id": campaign.id, "name": campaign.name, "status": campaign.status.rawValue, "pauseReason": campaign.pauseReason ?? "",
                "recipients": counts.total, "done": counts.total - count(.pending) - count(.sending), "pending": count(.pending),
                "sent": count(.sent), "delivered": count(.delivered), "read": count(.read), "failed": count(.failed), "hasFailed": count(.failed) > 0,
                "skipped": count(.skipped), "sentToday": campaign.day.sent, "limit": campaign.dailySendLimit, "actions": actions,
            ])
        }
        var context: [String: Any] = [
            "title": "Campaigns", "signedIn": true, "formToken": token, "live": true, "nav": ["campaigns": true], "campaigns": rows,
        ]
        if let notice, ["pause", "resume"].contains(notice) { context["notice"] = "Done: \(notice)." }
        return page("campaigns", context)
    }

    private func failedRecipientsPage(_ id: String, token: String) async throws -> Response {
        guard let campaign = try await campaigns.campaign(id) else { throw APIError(.notFound, "not_found", "no campaign \(id)") }
        let page = try await campaigns.recipients(of: id, status: .failed, limit: Self.pageSize, cursor: nil)
        return self.page(
            "campaign_failed",
            [
                "title": "Failed recipients of \(campaign.name)", "signedIn": true, "formToken": token, "nav": ["campaigns": true],
                "id": id, "name": campaign.name, "more": page.next != nil,
                "recipients": page.recipients.map { recipient in
                    [
                        "phone": recipient.phone, "code": recipient.errorCode.map(String.init) ?? "—", "title": recipient.errorTitle ?? "—",
                        "reason": recipient.failureReason?.rawValue ?? "—", "retries": "\(recipient.retryCount) of \(recipient.maxRetries)",
                        "failedAt": Self.time(recipient.failedAt),
                    ]
                },
            ])
    }

    private func forwardsPage(token: String, notice: String?) async throws -> Response {
        let failed = try await service.forwards(status: .failed, limit: Self.pageSize, cursor: nil).forwards
        var context: [String: Any] = [
            "title": "Forwards", "signedIn": true, "formToken": token, "nav": ["forwards": true],
            "forwards": failed.map { forward in
                [
                    "id": String(forward.id), "destination": forward.destination.rawValue, "key": forward.key, "attempts": forward.attempts,
                    "lastError": forward.lastError ?? "—", "createdAt": Self.time(forward.createdAt),
                ] as [String: Any]
            },
        ]
        if notice == "retry" { context["notice"] = "The forward was queued again." }
        return page("forwards", context)
    }

    private func mediaPage(token: String) async throws -> Response {
        let assets = try await media?.assets() ?? []
        return page(
            "media",
            [
                "title": "Media", "signedIn": true, "formToken": token, "nav": ["media": true],
                "assets": assets.map { asset in
                    [
                        "uploads": asset.uploads.map { upload in
                            [
                                "key": asset.key, "mimeType": asset.mimeType, "size": asset.size, "sender": upload.senderID,
                                "mediaID": upload.mediaID ?? "—", "expiresAt": Self.time(upload.expiresAt),
                                "history": upload.history.map { ["at": Self.time($0.at), "reason": $0.reason.rawValue, "error": $0.error ?? ""] },
                            ] as [String: Any]
                        }
                    ]
                },
            ])
    }

    // MARK: Rendering

    private func page(_ name: String, _ context: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(context, withTemplate: name) ?? "<!doctype html><title>Pigeon</title><p>The page \(name) is missing.</p>"
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    static func time(_ date: Date?) -> String {
        date.map { $0.formatted(Date.ISO8601FormatStyle().year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false)) } ?? "—"
    }
}
