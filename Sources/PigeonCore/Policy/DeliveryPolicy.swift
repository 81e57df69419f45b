/// The timing rules the lifecycle applies to failed attempts, as a value.
public struct DeliveryPolicy: Sendable, Hashable {
    /// Delays between counted attempts.
    public var retry: RetryPolicy
    /// How long an in-doubt attempt waits for a status webhook before it is resent (default 5 minutes).
    public var inDoubtAfter: Duration
    /// How long a throttled message waits before it may be claimed again (the sender's pacer may hold it longer).
    public var throttleRequeueDelay: Duration
    /// How long a message that met a restriction (463) waits at least before it may be claimed again; the
    /// dispatcher then holds it until the sender's restriction ends (default 5 minutes).
    public var restrictedRequeueDelay: Duration

    /// Default quiet period before an in-doubt attempt is resent.
    public static let defaultInDoubtAfter: Duration = .seconds(300)
    /// Default requeue delay after a throttling error.
    public static let defaultThrottleRequeueDelay: Duration = .seconds(1)
    /// Default requeue delay after a restriction.
    public static let defaultRestrictedRequeueDelay: Duration = .seconds(300)

    public init(
        retry: RetryPolicy = RetryPolicy(), inDoubtAfter: Duration = DeliveryPolicy.defaultInDoubtAfter,
        throttleRequeueDelay: Duration = DeliveryPolicy.defaultThrottleRequeueDelay,
        restrictedRequeueDelay: Duration = DeliveryPolicy.defaultRestrictedRequeueDelay
    ) {
        self.restrictedRequeueDelay = restrictedRequeueDelay
        self.retry = retry
        self.inDoubtAfter = inDoubtAfter
        self.throttleRequeueDelay = throttleRequeueDelay
    }
}
