/// Where and how to reach Meta's Graph API.
public struct CloudAPIConfiguration: Sendable {
    /// Base URL without a trailing slash (default `https://graph.facebook.com`).
    public var baseURL: String
    /// Graph API version in the path, such as `v23.0`.
    public var apiVersion: String
    /// The system-user or business access token. Never logged.
    public var accessToken: String
    /// How long one call may take before its outcome is in doubt (default 15 s).
    public var requestTimeout: Duration
    /// How long connecting may take before the call fails as not delivered (default 5 s).
    public var connectTimeout: Duration
    /// Keep-alive connections per host (default 64).
    public var maxConnections: Int

    /// Meta's production endpoint.
    public static let defaultBaseURL = "https://graph.facebook.com"
    /// The Graph API version used when none is configured.
    public static let defaultAPIVersion = "v23.0"
    /// Default per-call timeout.
    public static let defaultRequestTimeout: Duration = .seconds(15)
    /// Default connect timeout.
    public static let defaultConnectTimeout: Duration = .seconds(5)
    /// Default keep-alive connections per host.
    public static let defaultMaxConnections = 64

    public init(
        baseURL: String = CloudAPIConfiguration.defaultBaseURL, apiVersion: String = CloudAPIConfiguration.defaultAPIVersion,
        accessToken: String, requestTimeout: Duration = CloudAPIConfiguration.defaultRequestTimeout,
        connectTimeout: Duration = CloudAPIConfiguration.defaultConnectTimeout,
        maxConnections: Int = CloudAPIConfiguration.defaultMaxConnections
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiVersion = apiVersion
        self.accessToken = accessToken
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.maxConnections = maxConnections
    }
}
