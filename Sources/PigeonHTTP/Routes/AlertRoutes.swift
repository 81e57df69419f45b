import Foundation
import Hummingbird
import PigeonCore

/// `GET /v1/alerts`: the alerts raised and resolved, the most recently opened first, optionally of one
/// status (`?status=open`), paged by `cursor`.
struct AlertRoutes {
    let store: any PigeonStore

    func register(on router: Router<PigeonRequestContext>) {
        router.get("/v1/alerts") { request, _ in
            let query = request.uri.queryParameters
            let (limit, cursor) = try MessageRoutes.pagination(query)
            var status: Alert.Status?
            if let text = query.get("status") {
                guard let value = Alert.Status(rawValue: text) else {
                    throw APIError(.badRequest, "invalid_status", "status must be open or resolved")
                }
                status = value
            }
            let page = try await store.alerts(status: status, limit: limit, cursor: cursor)
            return JSONBody.response(["alerts": page.alerts.map(AlertBody.object), "next_cursor": page.next.map { String($0) } ?? NSNull()])
        }
    }
}
