import PigeonCore

/// Settings of the `Dispatcher`, with named defaults.
public struct DispatcherConfiguration: Sendable {
    /// This worker's lease owner name; unique per process.
    public var workerID: String
    /// Most messages claimed in one transaction (default 256).
    public var batchSize: Int
    /// Most sends in flight at once in this process (default 1024).
    public var maxInFlight: Int
    /// How long a claimed message may go unrenewed before another worker reclaims it (default 30 s).
    public var leaseTimeout: Duration
    /// Longest idle wait before looking for due work again, for work enqueued by other processes (default 1 s).
    public var idlePoll: Duration
    /// The kinds of senders the transport sends for; messages of other senders wait (default: Cloud API
    /// numbers; the engine adds web sessions when it has a web transport).
    public var transportKinds: Set<SenderKind>

    /// Default claim batch.
    public static let defaultBatchSize = 256
    /// Default concurrency.
    public static let defaultMaxInFlight = 1024
    /// Default lease.
    public static let defaultLeaseTimeout: Duration = .seconds(30)
    /// Default idle poll.
    public static let defaultIdlePoll: Duration = .seconds(1)

    public init(
        workerID: String, batchSize: Int = DispatcherConfiguration.defaultBatchSize,
        maxInFlight: Int = DispatcherConfiguration.defaultMaxInFlight,
        leaseTimeout: Duration = DispatcherConfiguration.defaultLeaseTimeout,
        idlePoll: Duration = DispatcherConfiguration.defaultIdlePoll, transportKinds: Set<SenderKind> = [.cloudAPI]
    ) {
        self.transportKinds = transportKinds
        self.workerID = workerID
        self.batchSize = batchSize
        self.maxInFlight = maxInFlight
        self.leaseTimeout = leaseTimeout
        self.idlePoll = idlePoll
    }

    /// Free slots needed before claiming again under load, so claims stay batched.
    var claimThreshold: Int { max(1, min(batchSize, maxInFlight / 4)) }
}
