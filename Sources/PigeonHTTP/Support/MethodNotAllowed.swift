import Hummingbird

/// Answers a method a path does not serve with `405 Method Not Allowed` and an `Allow` header naming the
/// methods it does serve (a path that exists is not a 404 because the method is wrong).
enum MethodNotAllowed {
    /// The methods a path may be asked with; `HEAD` is answered where `GET` is (Hummingbird generates it).
    static let methods: [HTTPRequest.Method] = [
        .get, .head, .post, .put, .patch, .delete, .options, .trace, .connect, HTTPRequest.Method("QUERY")!,
    ]

    /// Adds the 405 answer for every method `router`'s paths do not serve; call once every route is added.
    static func register<Context: RequestContext>(on router: Router<Context>) {
        var served: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
        for route in router.routes {
            served[route.path.description, default: (route.path, [])].methods.insert(route.method)
        }
        for (path, methods) in served.values {
            let allowed = methods.contains(.get) ? methods.union([.head]) : methods
            let allow = methods.map(\.rawValue).sorted().joined(separator: ", ")
            for method in Self.methods where !allowed.contains(method) {
                router.on(path, method: method) { request, _ -> Response in
                    throw APIError(
                        .methodNotAllowed, "method_not_allowed", "\(request.method) is not served on \(request.uri.path); use \(allow)",
                        headers: [.allow: allow])
                }
            }
        }
    }
}
