import CoreMetrics
import Foundation
import PigeonCore

/// The engine's counters and histograms, made by one swift-metrics factory (`pigeon serve` uses
/// swift-prometheus's, read at `GET /metrics`). Every name starts with `pigeon_`, counters end in `_total`,
/// durations are histograms in seconds, and every label takes its values from a fixed set (outcomes, error
/// classes, failure reasons, statuses): never a message id or a phone number. Each series is made once, at
/// start, so that counting on the send path is an atomic add.
public final class PigeonMetrics: Sendable {
    /// The factory the series were made with (the scrape's gauges use it too).
    public let factory: any MetricsFactory
    private let accepted: Counter
    private let attempts: [AttemptKey: Counter]
    private let retries: Counter
    private let deadLettered: [FailureReason: Counter]
    private let sendDuration: CoreMetrics.Timer
    private let enqueueToSent: CoreMetrics.Timer
    private let webhookEvents: [MessageStatus: Counter]
    private let forwards: [ForwardResult: Counter]
    private let mediaUploads: [MediaUploadKey: Counter]
    private let leaseReclaims: Counter
    private let alerts: [AlertKind: Counter]

    /// An attempt's outcome and, when it failed, its error class (`none` for a sent one).
    struct AttemptKey: Hashable {
        var outcome: AttemptOutcome
        var errorClass: ErrorClass?
    }

    /// What became of one forward to the application.
    public enum ForwardResult: String, CaseIterable, Sendable {
        case delivered, retried
        case deadLettered = "dead_lettered"
    }

    /// One media upload: why, and whether it worked.
    struct MediaUploadKey: Hashable {
        var reason: MediaRefreshReason
        var succeeded: Bool
    }

    /// Seconds buckets of the send and enqueue→sent histograms: 5 ms to 10 min.
    public static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
        .seconds(600),
    ]

    /// Metrics made by `factory`.
    public init(factory: any MetricsFactory) {
        self.factory = factory
        accepted = Counter(label: "pigeon_messages_accepted_total", factory: factory)
        // A sent attempt has no class; a failed or in-doubt one has its classification's.
        var keys = [AttemptKey(outcome: .sent, errorClass: nil)]
        for outcome in [AttemptOutcome.error, .inDoubt] {
            keys += ([nil] + ErrorClass.allCases.map(Optional.some)).map { AttemptKey(outcome: outcome, errorClass: $0) }
        }
        attempts = Dictionary(
            uniqueKeysWithValues: keys.map { key in
                let labels = [("outcome", key.outcome.rawValue), ("error_class", key.errorClass?.rawValue ?? "none")]
                return (key, Counter(label: "pigeon_attempts_total", dimensions: labels, factory: factory))
            })
        retries = Counter(label: "pigeon_retries_total", factory: factory)
        deadLettered = Dictionary(
            uniqueKeysWithValues: FailureReason.allCases.map {
                ($0, Counter(label: "pigeon_dead_lettered_total", dimensions: [("reason", $0.rawValue)], factory: factory))
            })
        sendDuration = CoreMetrics.Timer(label: "pigeon_send_duration_seconds", factory: factory)
        enqueueToSent = CoreMetrics.Timer(label: "pigeon_enqueue_to_sent_seconds", factory: factory)
        webhookEvents = Dictionary(
            uniqueKeysWithValues: [MessageStatus.sent, .delivered, .read, .failed].map {
                ($0, Counter(label: "pigeon_webhook_events_total", dimensions: [("status", $0.rawValue)], factory: factory))
            })
        forwards = Dictionary(
            uniqueKeysWithValues: ForwardResult.allCases.map {
                ($0, Counter(label: "pigeon_forwards_total", dimensions: [("outcome", $0.rawValue)], factory: factory))
            })
        var uploads: [MediaUploadKey: Counter] = [:]
        for reason in MediaRefreshReason.allCases {
            for succeeded in [true, false] {
                uploads[MediaUploadKey(reason: reason, succeeded: succeeded)] = Counter(
                    label: "pigeon_media_uploads_total", dimensions: [("reason", reason.rawValue), ("outcome", succeeded ? "uploaded" : "failed")],
                    factory: factory)
            }
        }
        mediaUploads = uploads
        leaseReclaims = Counter(label: "pigeon_lease_reclaims_total", factory: factory)
        alerts = Dictionary(
            uniqueKeysWithValues: AlertKind.allCases.map {
                ($0, Counter(label: "pigeon_alerts_total", dimensions: [("kind", $0.rawValue)], factory: factory))
            })
    }

    /// Metrics that go nowhere (the default of an engine built without a factory).
    public static let disabled = PigeonMetrics(factory: NOOPMetricsHandler.instance)

    /// `count` messages were stored by the API (or a campaign).
    public func accepted(_ count: Int) {
        if count > 0 { accepted.increment(by: count) }
    }

    /// An attempt's outcome was recorded: it is counted with its class, a retry when it was not the message's
    /// first, timed, and, when it left the message `failed` or `sent`, counted as dead-lettered or timed from
    /// enqueue.
    func attempted(_ completion: AttemptCompletion, createdAt: Date) {
        attempts[AttemptKey(outcome: completion.outcome, errorClass: completion.outcome == .sent ? nil : completion.error?.errorClass)]?
            .increment()
        if completion.state.attempts > 1 { retries.increment() }
        sendDuration.recordMilliseconds(completion.durationMs)
        switch completion.state.status {
        case .failed: deadLettered(completion.state.failureReason)
        case .sent: enqueueToSent.recordNanoseconds(Int64(completion.finishedAt.timeIntervalSince(createdAt) * 1e9))
        default: break
        }
    }

    /// A message moved to `failed` for `reason`.
    func deadLettered(_ reason: FailureReason?) {
        deadLettered[reason ?? .permanentError]?.increment()
    }

    /// A status webhook moved a message to `status`.
    func webhookEvent(_ status: MessageStatus) {
        webhookEvents[status]?.increment()
    }

    /// A forward to the application ended this way.
    func forwarded(_ result: ForwardResult) {
        forwards[result]?.increment()
    }

    /// A media upload for `reason` succeeded or failed.
    func mediaUpload(_ reason: MediaRefreshReason, succeeded: Bool) {
        mediaUploads[MediaUploadKey(reason: reason, succeeded: succeeded)]?.increment()
    }

    /// An alert of `kind` was raised.
    func alertOpened(_ kind: AlertKind) {
        alerts[kind]?.increment()
    }

    /// `count` messages whose lease expired were reclaimed.
    func reclaimed(_ count: Int) {
        if count > 0 { leaseReclaims.increment(by: count) }
    }
}
