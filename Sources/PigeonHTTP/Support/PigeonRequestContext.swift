import Hummingbird

/// The request context of Pigeon's API. Bodies are read by the routes with their own size limits.
public struct PigeonRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Largest body any route reads (a full batch).
    public var maxUploadSize: Int { RequestBody.maxBatchBytes }
}
