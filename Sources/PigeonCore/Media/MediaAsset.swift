import Foundation

/// A named asset of the media library (`POST /v1/media`): the bytes Pigeon keeps, and the media id Meta
/// gave each sender it was uploaded to.
public struct MediaAsset: Sendable, Hashable {
    /// The caller's name for it, such as `onboarding-video-hi`.
    public var key: String
    /// Hex SHA-256 of the bytes: the name of the file Pigeon keeps.
    public var sha256: String
    /// Its MIME type, sent with every upload.
    public var mimeType: String
    /// Its size in bytes.
    public var size: Int
    /// The file name sent with uploads.
    public var filename: String
    /// When it was registered, and last replaced.
    public var createdAt: Date
    public var updatedAt: Date
    /// One entry per sender it has been uploaded to (or tried).
    public var uploads: [MediaUpload]

    public init(
        key: String, sha256: String, mimeType: String, size: Int, filename: String, createdAt: Date, updatedAt: Date,
        uploads: [MediaUpload] = []
    ) {
        self.key = key
        self.sha256 = sha256
        self.mimeType = mimeType
        self.size = size
        self.filename = filename
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.uploads = uploads
    }

    /// The media id `senderID` can send now: one uploaded from the asset's current bytes (nil when it was
    /// never uploaded there, or only its earlier bytes were).
    public func usableMediaID(for senderID: String) -> String? {
        uploads.first { $0.senderID == senderID }.flatMap { $0.sha256 == sha256 ? $0.mediaID : nil }
    }
}

/// An asset on one sender: the current media id and when Meta will forget it.
public struct MediaUpload: Sendable, Hashable {
    /// The sender (Meta phone number id).
    public var senderID: String
    /// Meta's media id; nil until an upload succeeded.
    public var mediaID: String?
    /// When that id was uploaded, and when it expires (30 days later).
    public var uploadedAt: Date?
    public var expiresAt: Date?
    /// Hex SHA-256 of the bytes that id was uploaded from.
    public var sha256: String?
    /// Every upload tried for this sender, oldest first.
    public var history: [MediaRefresh]

    public init(
        senderID: String, mediaID: String?, uploadedAt: Date?, expiresAt: Date?, sha256: String?, history: [MediaRefresh] = []
    ) {
        self.senderID = senderID
        self.mediaID = mediaID
        self.sha256 = sha256
        self.uploadedAt = uploadedAt
        self.expiresAt = expiresAt
        self.history = history
    }
}

/// One upload of an asset to a sender, successful or not.
public struct MediaRefresh: Sendable, Hashable {
    /// Why it was uploaded.
    public var reason: MediaRefreshReason
    /// When the upload finished.
    public var at: Date
    /// The id it replaced, and the id Meta returned (nil when the upload failed).
    public var oldMediaID: String?
    public var newMediaID: String?
    /// What went wrong, when it failed.
    public var error: String?
    /// Hex SHA-256 of the bytes uploaded.
    public var sha256: String?

    public init(reason: MediaRefreshReason, at: Date, oldMediaID: String?, newMediaID: String?, error: String?, sha256: String?) {
        self.reason = reason
        self.sha256 = sha256
        self.at = at
        self.oldMediaID = oldMediaID
        self.newMediaID = newMediaID
        self.error = error
    }
}

/// Why an asset was uploaded (again).
public enum MediaRefreshReason: String, Sendable, Hashable, CaseIterable {
    /// First upload, at registration or the first send from a sender.
    case registered
    /// Its id was close to Meta's 30-day expiry.
    case proactive
    /// A send that used it failed with a media error.
    case mediaError = "media_error"
    /// An operator asked (`POST /v1/media/{key}/refresh`).
    case manual
}

extension MediaAsset {
    /// `assets` with their uploads and each upload's history attached, from the rows a store read (any order
    /// within the asset and sender).
    public static func assembling(
        _ assets: [MediaAsset], uploads: [(key: String, upload: MediaUpload)],
        history: [(key: String, senderID: String, refresh: MediaRefresh)]
    ) -> [MediaAsset] {
        assets.map { asset in
            var asset = asset
            asset.uploads = uploads.filter { $0.key == asset.key }.map { entry in
                var upload = entry.upload
                upload.history = history.filter { $0.key == entry.key && $0.senderID == upload.senderID }.map(\.refresh)
                return upload
            }
            return asset
        }
    }
}
