import Foundation

/// The media library in numbers, for `/v1/stats`.
public struct MediaStats: Sendable, Hashable {
    /// Assets registered.
    public var assets: Int
    /// Successful uploads, by why they were made.
    public var uploads: [MediaRefreshReason: Int]
    /// Failed uploads.
    public var uploadFailures: Int
    /// Attempts that retried a message after a media error with freshly uploaded ids (over retained messages).
    public var retriesAfterMediaError: Int

    public init(assets: Int, uploads: [MediaRefreshReason: Int], uploadFailures: Int, retriesAfterMediaError: Int) {
        self.assets = assets
        self.uploads = uploads
        self.uploadFailures = uploadFailures
        self.retriesAfterMediaError = retriesAfterMediaError
    }
}

/// The media library's records: assets, their media id per sender, and every upload tried.
public protocol MediaLibrary: Sendable {
    /// Registers `asset` under its key, or replaces the asset's bytes and type (its uploads stay until they
    /// are uploaded again). Returns true when the key is new.
    func saveAsset(_ asset: MediaAsset) async throws -> Bool

    /// The asset under `key`, with its uploads and their history.
    func asset(_ key: String) async throws -> MediaAsset?

    /// Every asset, by key.
    func assets() async throws -> [MediaAsset]

    /// Deletes the asset under `key` and its records; returns false if there was none.
    func deleteAsset(_ key: String) async throws -> Bool

    /// How many messages not yet sent (queued, scheduled for a retry, or being sent) name `key`.
    func unsentMessages(namingMediaKey key: String) async throws -> Int

    /// Single flight per asset and sender, across processes: takes the right to upload `key` for
    /// `senderID` until `until`, unless another owner holds an unexpired right. Returns whether it was taken.
    func beginUpload(key: String, senderID: String, owner: String, until: Date, now: Date) async throws -> Bool

    /// Records an upload that `owner` began: on success the new id (made from `refresh.sha256`) becomes
    /// current and expires at `expiresAt`; on failure it is tried again from `retryAt` (see `uploadsDue`). Either way the attempt
    /// joins the history and the right is released. With no `refresh` (nothing was uploaded) the right is
    /// only released.
    func finishUpload(
        key: String, senderID: String, owner: String, refresh: MediaRefresh?, expiresAt: Date?, retryAt: Date?
    ) async throws

    /// How many uploads of `key` to `senderID` failed in a row.
    func uploadFailures(key: String, senderID: String) async throws -> Int

    /// Up to `limit` uploads to do now: ids that expire at or before `expiringBy`, ids never uploaded or
    /// uploaded from bytes the asset no longer has, and failed uploads whose retry time has come; none
    /// another process is uploading.
    func uploadsDue(expiringBy: Date, now: Date, limit: Int) async throws -> [(key: String, senderID: String, mediaID: String?)]

    /// The library in numbers.
    func mediaStats() async throws -> MediaStats

    /// Uploads that failed at or after `since`.
    func mediaUploadFailures(since: Date) async throws -> Int

    /// The media ids the latest attempt of `messageSeq` before `attempt` used, by asset key.
    func mediaUsed(messageSeq: Int64, before attempt: Int) async throws -> [String: String]
}
