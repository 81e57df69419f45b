import Crypto
import Foundation
import Logging
import PigeonCore
import Synchronization

/// The media library's operations: registering an asset (bytes kept, uploaded to its senders), uploading
/// it again, and finding a sender's current media id. Uploads of one asset to one sender are single
/// flight: concurrent callers in this process share one upload, and other processes sharing the database
/// wait for the lease of the one uploading.
public final class MediaService: Sendable {
    /// Settings with named defaults.
    public struct Configuration: Sendable {
        /// The sender an asset is uploaded to when it names none (the default sender).
        public var defaultSenderID: String
        /// How long one upload may hold its asset and sender before another process may take over.
        public var uploadLease: Duration
        /// A name for this process in upload leases.
        public var owner: String
        /// When a failed upload is tried again (`PIGEON_RETRY_SCHEDULE`; the last delay repeats).
        public var retry: RetryPolicy
        /// How long sends reuse a media id this process read or uploaded before reading it again: the time
        /// another process sharing the database may take to see a new id (this process sees its own at once).
        public var reuseFor: Duration

        public init(
            defaultSenderID: String, uploadLease: Duration = .seconds(120), owner: String, retry: RetryPolicy = RetryPolicy(),
            reuseFor: Duration = .seconds(1)
        ) {
            self.reuseFor = reuseFor
            self.defaultSenderID = defaultSenderID
            self.uploadLease = uploadLease
            self.owner = owner
            self.retry = retry
        }
    }

    let store: any MediaLibrary
    let metrics: PigeonMetrics
    let files: any MediaBytes
    let uploader: any MediaUploader
    /// Each sender's own access token for its uploads.
    let tokens: @Sendable (String) -> String?
    let fetcher: (any MediaFetcher)?
    let clock: any PigeonClock
    let configuration: Configuration
    let logger: Logger
    /// Uploads under way in this process, by asset and sender.
    private let flights = Mutex<[String: Task<Result<String, MediaUploadFailure>, Never>]>([:])
    /// Usable ids this process read or uploaded lately, by asset and sender, and until when sends may use
    /// them without reading the database again.
    private let recent = Mutex(RecentIDs())

    private struct RecentIDs {
        var entries: [String: (id: String, until: Date)] = [:]
        /// Counts the assets registered again or deleted: an id read before one of those is not kept.
        var generation = 0
    }

    init(
        store: any MediaLibrary, files: any MediaBytes, uploader: any MediaUploader, tokens: @escaping @Sendable (String) -> String?,
        fetcher: (any MediaFetcher)?, clock: any PigeonClock, configuration: Configuration, logger: Logger,
        metrics: PigeonMetrics = .disabled
    ) {
        self.metrics = metrics
        self.tokens = tokens
        self.fetcher = fetcher
        self.store = store
        self.files = files
        self.uploader = uploader
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
    }

    /// Registers (or replaces) the asset `key`: checks Meta's type and size rules, keeps the bytes, and
    /// uploads them to `senders` (default: the senders it already has, else the default sender). A failed
    /// upload does not undo the registration: it shows in the asset's history and is tried again later.
    public func register(
        key: String, data: Data, mimeType: String, filename: String?, senders: [String] = []
    ) async throws
        -> (asset: MediaAsset, created: Bool)
    {
        try MediaRules.validate(key: key)
        try MediaRules.validate(senders: senders)
        try MediaRules.validate(mimeType: mimeType, size: data.count)
        let sha256 = Self.sha256(data)
        try await files.keep(data, sha256: sha256, now: clock.now())
        let previous = try await store.asset(key)
        let now = clock.now()
        forget(key: key)
        let created = try await store.saveAsset(
            MediaAsset(
                key: key, sha256: sha256, mimeType: mimeType, size: data.count, filename: filename ?? Self.filename(key, mimeType),
                createdAt: previous?.createdAt ?? now, updatedAt: now))
        let targets = senders.isEmpty ? (previous?.uploads.map(\.senderID) ?? []) : senders
        for sender in targets.isEmpty ? [configuration.defaultSenderID] : targets {
            _ = await upload(key: key, senderID: sender, reason: previous == nil ? .registered : .manual)
        }
        guard let asset = try await store.asset(key) else {
            throw ValidationError("media_deleted", "the asset \(key) was deleted while it was being registered; register it again")
        }
        return (asset, created)
    }

    /// Registers the asset `key` from an https `url` (or http, when the fetcher allows it), fetched once:
    /// its `Content-Type` is the MIME type unless `mimeType` says otherwise. Then as `register(key:data:…)`.
    public func register(
        key: String, url text: String, mimeType: String?, senders: [String] = []
    ) async throws
        -> (asset: MediaAsset, created: Bool)
    {
        try MediaRules.validate(key: key)
        try MediaRules.validate(senders: senders)
        guard let fetcher else {
            throw ValidationError("url_unsupported", "this Pigeon cannot fetch URLs; send the file as multipart/form-data")
        }
        guard let url = URL(string: text), fetcher.fetches(url) else {
            throw ValidationError(
                "invalid_url", "url must be an \(fetcher.allowsPlainHTTP ? "https or http" : "https") URL such as https://example.com/welcome.mp4")
        }
        if let mimeType { try MediaRules.validate(mimeType: mimeType, size: 1) }
        let limit = mimeType.flatMap { MediaRules.maxBytes[$0] } ?? MediaRules.maxBytes.values.max()!
        let fetched: (data: Data, contentType: String?)
        do {
            fetched = try await fetcher.fetch(url, limit: limit)
        } catch {
            throw ValidationError("fetch_failed", "\(error)", kind: .unusable)
        }
        guard let type = mimeType ?? fetched.contentType else {
            throw ValidationError("missing_mime_type", "\(text) gave no Content-Type; add mime_type")
        }
        let filename = url.lastPathComponent.isEmpty || url.lastPathComponent == "/" ? nil : url.lastPathComponent
        return try await register(key: key, data: fetched.data, mimeType: type, filename: filename, senders: senders)
    }

    /// Uploads `key` again to every sender it has (or the default sender); nil when there is no such asset.
    public func refresh(key: String, reason: MediaRefreshReason) async throws -> MediaAsset? {
        guard let asset = try await store.asset(key) else { return nil }
        let senders = asset.uploads.isEmpty ? [configuration.defaultSenderID] : asset.uploads.map(\.senderID)
        for sender in senders { _ = await upload(key: key, senderID: sender, reason: reason) }
        return try await store.asset(key)
    }

    /// Deletes the asset `key` and its records (its file goes with the next sweep of unused files). Unless
    /// `force`, an asset that unsent messages still name is kept and `MediaInUse` thrown: deleting it would
    /// fail them.
    public func delete(key: String, force: Bool = false) async throws -> Bool {
        if !force {
            let waiting = try await store.unsentMessages(namingMediaKey: key)
            if waiting > 0 { throw MediaInUse(key: key, unsentMessages: waiting) }
        }
        forget(key: key)
        return try await store.deleteAsset(key)
    }

    /// The asset `key`, or every asset.
    public func asset(_ key: String) async throws -> MediaAsset? { try await store.asset(key) }
    public func assets() async throws -> [MediaAsset] { try await store.assets() }

    /// What `prepare` made of a claimed message.
    public enum Preparation: Sendable {
        /// The payload to send, every `media_key` replaced by the sender's media id, and the ids used (to be
        /// recorded with the attempt's outcome).
        case ready(payload: String, media: MediaUse)
        /// It cannot be sent: apply this event (the attempt counts, nothing reached Meta).
        case failed(LifecycleEvent)
    }

    /// `prepare` without the database, when every id the message needs was read or uploaded by this process
    /// within `reuseFor` and the attempt does not retry a media error; nil otherwise.
    public func prepareFromRecent(_ record: MessageRecord) -> (payload: String, media: MediaUse)? {
        guard !Self.retriesMediaError(record.state) else { return nil }
        let keys = MediaReferences.keys(inPayload: record.payload)
        let now = clock.now()
        let ids: [String: String]? = recent.withLock { recent in
            var ids: [String: String] = [:]
            for key in keys {
                guard let entry = recent.entries[Self.slot(key, record.senderID)], entry.until > now else { return nil }
                ids[key] = entry.id
            }
            return ids
        }
        guard let ids, let payload = MediaReferences.resolve(payload: record.payload, ids: ids) else { return nil }
        return (payload, MediaUse(ids: ids, afterMediaError: false))
    }

    /// Replaces the message's `media_key` references with the sender's current media ids, uploading an
    /// asset first when the sender has none yet, or when this attempt retries a media error and the id the
    /// failed attempt used is still the current one (one upload per broken id: concurrent retries share it).
    public func prepare(_ record: MessageRecord, jitter: Double) async -> Preparation {
        let state = record.state
        let refreshing = Self.retriesMediaError(state)
        let generation = self.generation
        do {
            let used = refreshing ? try await store.mediaUsed(messageSeq: record.seq, before: state.attempts) : [:]
            var ids: [String: String] = [:]
            for key in MediaReferences.keys(inPayload: record.payload) {
                guard let asset = try await store.asset(key) else {
                    return .failed(
                        .failed(
                            PigeonCause.mediaDeleted.classification(
                                details: "the message names media_key \(key), which is no longer in the media library"),
                            jitter: jitter))
                }
                // An id uploaded from bytes the asset no longer has is not sent: the new bytes are uploaded first.
                let current = asset.usableMediaID(for: record.senderID)
                if let current, !refreshing || (used[key] != nil && used[key] != current) {
                    ids[key] = current
                    remember(key: key, senderID: record.senderID, id: current, readAt: generation)
                    continue
                }
                let firstUpload = asset.uploads.first { $0.senderID == record.senderID }?.mediaID == nil
                let result = await upload(
                    key: key, senderID: record.senderID, reason: refreshing ? .mediaError : firstUpload ? .registered : .manual,
                    replacing: refreshing ? current : nil)
                switch result {
                case .success(let id): ids[key] = id
                case .failure(let reason):
                    let cause: PigeonCause = refreshing ? .mediaRefreshUploadFailed : .mediaUploadFailed
                    let classification = cause.classification(details: "media_key \(key): \(reason)")
                    return .failed(refreshing ? .mediaRefreshFailed(classification) : .failed(classification, jitter: jitter))
                }
            }
            return .ready(
                payload: MediaReferences.resolve(payload: record.payload, ids: ids) ?? record.payload,
                media: MediaUse(ids: ids, afterMediaError: refreshing))
        } catch {
            return .failed(
                .failed(
                    PigeonCause.mediaUnavailable.classification(details: "\(error)"),
                    jitter: jitter))
        }
    }

    /// Uploads `key` to `senderID` unless an upload is under way, in which case its result is shared. With
    /// `replacing`, nothing is uploaded when the current id already differs from it (someone refreshed it).
    /// Returns the media id, or why the upload failed (also recorded in the history).
    public func upload(
        key: String, senderID: String, reason: MediaRefreshReason, replacing: String? = nil
    ) async
        -> Result<String, MediaUploadFailure>
    {
        await upload(key: key, senderID: senderID, reason: reason, replacing: replacing, againIfStale: true)
    }

    private func upload(
        key: String, senderID: String, reason: MediaRefreshReason, replacing: String?, againIfStale: Bool
    ) async
        -> Result<String, MediaUploadFailure>
    {
        let flightKey = Self.slot(key, senderID)
        let (task, joined) = flights.withLock { flights -> (Task<Result<String, MediaUploadFailure>, Never>, Bool) in
            if let running = flights[flightKey] { return (running, true) }
            let task = Task { await self.uploadOnce(key: key, senderID: senderID, reason: reason, replacing: replacing) }
            flights[flightKey] = task
            return (task, false)
        }
        let result = await task.value
        flights.withLock { flights in
            if flights[flightKey] == task { flights[flightKey] = nil }
        }
        // A flight joined late may have checked the asset's bytes before they were registered again: its id is
        // then already stale, and this caller uploads the bytes it registered.
        if joined, againIfStale, case .success(let id) = result, let asset = try? await store.asset(key),
            asset.usableMediaID(for: senderID) != id
        {
            return await upload(key: key, senderID: senderID, reason: reason, replacing: replacing, againIfStale: false)
        }
        return result
    }

    private func uploadOnce(
        key: String, senderID: String, reason: MediaRefreshReason, replacing: String?, round: Int = 1
    ) async
        -> Result<String, MediaUploadFailure>
    {
        let owner = configuration.owner
        do {
            var taken = false
            let deadline = clock.now().adding(configuration.uploadLease)
            while true {
                let now = clock.now()
                taken = try await store.beginUpload(
                    key: key, senderID: senderID, owner: owner, until: now.adding(configuration.uploadLease), now: now)
                if taken || now >= deadline { break }
                // Another process is uploading this asset to this sender: wait for its id rather than upload twice.
                try await Task.sleep(for: .milliseconds(200))
                if let id = try await store.asset(key)?.usableMediaID(for: senderID), id != replacing { return .success(id) }
            }
            guard taken else { return .failure(MediaUploadFailure("another process held the upload for too long")) }
            let generation = self.generation
            guard let asset = try await store.asset(key) else { return .failure(MediaUploadFailure("the asset was deleted")) }
            let old = asset.uploads.first { $0.senderID == senderID }?.mediaID
            if let usable = asset.usableMediaID(for: senderID), let replacing, usable != replacing {
                try await store.finishUpload(key: key, senderID: senderID, owner: owner, refresh: nil, expiresAt: nil, retryAt: nil)
                return .success(usable)
            }
            let id: String
            do {
                let data = try await files.read(asset.sha256)
                id = try await uploader.uploadMedia(
                    data, mimeType: asset.mimeType, filename: asset.filename, phoneNumberID: senderID, accessToken: tokens(senderID))
            } catch {
                logger.warning("uploading media failed", metadata: ["key": "\(key)", "sender": "\(senderID)", "error": "\(error)"])
                metrics.mediaUpload(reason, succeeded: false)
                let at = clock.now()
                let failures = try await store.uploadFailures(key: key, senderID: senderID) + 1
                try await store.finishUpload(
                    key: key, senderID: senderID, owner: owner,
                    refresh: MediaRefresh(reason: reason, at: at, oldMediaID: old, newMediaID: nil, error: "\(error)", sha256: asset.sha256),
                    expiresAt: nil, retryAt: at.adding(configuration.retry.delay(afterAttempt: failures, random: Double.random(in: 0..<1))))
                return .failure(MediaUploadFailure("\(error)"))
            }
            metrics.mediaUpload(reason, succeeded: true)
            let at = clock.now()
            try await store.finishUpload(
                key: key, senderID: senderID, owner: owner,
                refresh: MediaRefresh(reason: reason, at: at, oldMediaID: old, newMediaID: id, error: nil, sha256: asset.sha256),
                expiresAt: at.adding(MediaRules.lifetime), retryAt: nil)
            // Registered again with new bytes while these uploaded: whoever waits for this upload wants those.
            guard let latest = try await store.asset(key), latest.sha256 != asset.sha256 else {
                remember(key: key, senderID: senderID, id: id, readAt: generation)
                return .success(id)
            }
            return round < 3 ? await uploadOnce(key: key, senderID: senderID, reason: reason, replacing: nil, round: round + 1) : .success(id)
        } catch {
            logger.error("recording a media upload failed", metadata: ["key": "\(key)", "error": "\(error)"])
            return .failure(MediaUploadFailure("\(error)"))
        }
    }

    /// One asset on one sender, as a dictionary key (uploads in flight, recent ids).
    /// Hex SHA-256 of `data`: the name its bytes are kept under.
    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    private static func slot(_ key: String, _ senderID: String) -> String { key + "\u{0}" + senderID }

    /// Whether the attempt about to be made retries a media error (its ids are checked and refreshed).
    private static func retriesMediaError(_ state: MessageState) -> Bool {
        state.mediaRetried && state.lastError?.errorClass == .media
    }

    private var generation: Int { recent.withLock { $0.generation } }

    /// Keeps `id` for sends, unless an asset was registered again or deleted since `generation`.
    private func remember(key: String, senderID: String, id: String, readAt generation: Int) {
        let until = clock.now().adding(configuration.reuseFor)
        recent.withLock { recent in
            if recent.generation == generation { recent.entries[Self.slot(key, senderID)] = (id, until) }
        }
    }

    private func forget(key: String) {
        let prefix = key + "\u{0}"
        recent.withLock { recent in
            recent.generation += 1
            recent.entries = recent.entries.filter { !$0.key.hasPrefix(prefix) }
        }
    }

    private static func filename(_ key: String, _ mimeType: String) -> String {
        let ext = mimeType.split(separator: "/").last.map(String.init) ?? "bin"
        return "\(key).\(ext)"
    }
}

/// An asset that unsent messages still name, refused deletion.
public struct MediaInUse: Error, Sendable {
    public var key: String
    public var unsentMessages: Int
}

/// Why an upload to Meta failed, in words for the history and the message's error.
public struct MediaUploadFailure: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
