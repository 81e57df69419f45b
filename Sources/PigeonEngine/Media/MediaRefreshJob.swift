import Foundation
import Logging
import PigeonCore
import ServiceLifecycle

/// Uploads media library assets again before Meta forgets them: each pass re-uploads every id that expires
/// within `refreshBefore`, uploads what was never uploaded, and tries again failed uploads whose retry time
/// has come (`PIGEON_RETRY_SCHEDULE`); it also deletes kept bytes no asset names any more (after an hour).
/// The first pass runs at start-up, so anything that came due while
/// Pigeon was stopped is caught up at once. Uploads share the media service's single flight and leases.
public struct MediaRefreshJob: Service {
    /// Settings with named defaults.
    public struct Configuration: Sendable {
        /// How long before expiry an id is uploaded again (`PIGEON_MEDIA_REFRESH_BEFORE`, default 7 days:
        /// on day 23 of Meta's 30).
        public var refreshBefore: Duration
        /// How often to look (default 1 hour).
        public var interval: Duration
        /// Most uploads looked up at once (default 100); a pass looks again until none are left.
        public var batchSize: Int

        public static let defaultRefreshBefore: Duration = .seconds(7 * 86_400)

        public init(refreshBefore: Duration = Configuration.defaultRefreshBefore, interval: Duration = .seconds(3600), batchSize: Int = 100) {
            self.refreshBefore = refreshBefore
            self.interval = interval
            self.batchSize = batchSize
        }
    }

    /// At most this many look-ups of `batchSize` per pass, so a pass always ends.
    static let maxBatchesPerPass = 100
    /// How long bytes no asset names are kept before a pass deletes them (a registration under way keeps
    /// its bytes before it saves the asset that names them).
    static let unusedBytesKept: Duration = .seconds(3600)

    let store: any MediaLibrary
    let media: MediaService
    let clock: any PigeonClock
    let configuration: Configuration
    let logger: Logger
    /// Runs only while this process leads.
    let leadership: Leadership

    init(
        store: any MediaLibrary, media: MediaService, clock: any PigeonClock, configuration: Configuration, leadership: Leadership,
        logger: Logger
    ) {
        self.leadership = leadership
        self.store = store
        self.media = media
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        try await Periodic.run(every: configuration.interval, clock: clock, logger: logger, name: "media refresh", leadership: leadership) { now in
            _ = try await runOnce(now: now)
        }
    }

    /// One pass at `now`; returns how many uploads succeeded.
    @discardableResult
    public func runOnce(now: Date) async throws -> Int {
        var uploaded = 0
        // Each upload, done or failed, takes its row out of the next look-up (a new expiry, or a retry time).
        for _ in 0..<Self.maxBatchesPerPass {
            let due = try await store.uploadsDue(
                expiringBy: now.adding(configuration.refreshBefore), now: now, limit: configuration.batchSize)
            for upload in due {
                let reason: MediaRefreshReason = upload.mediaID == nil ? .registered : .proactive
                if case .success = await media.upload(key: upload.key, senderID: upload.senderID, reason: reason, replacing: upload.mediaID) {
                    uploaded += 1
                }
            }
            if due.count < configuration.batchSize { break }
        }
        if uploaded > 0 { logger.info("media uploaded again before expiry", metadata: ["count": "\(uploaded)"]) }
        let inUse = Set(try await store.assets().map(\.sha256))
        let swept = try await media.files.sweep(keeping: inUse, keptBefore: now.addingTimeInterval(-Self.unusedBytesKept.timeInterval))
        if swept > 0 { logger.info("deleted the bytes of deleted media assets", metadata: ["count": "\(swept)"]) }
        return uploaded
    }
}
