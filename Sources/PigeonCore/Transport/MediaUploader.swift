import Foundation

/// Uploads media to a sender's phone number (Meta's `POST /{phone_number_id}/media`).
public protocol MediaUploader: Sendable {
    /// Uploads `data` and returns Meta's media id; throws with what Meta said when it refused.
    func uploadMedia(_ data: Data, mimeType: String, filename: String, phoneNumberID: String) async throws -> String
}
