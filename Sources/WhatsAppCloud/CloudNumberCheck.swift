import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import PigeonCore

/// Checks a Cloud API number's health: `GET /{phone_number_id}?fields=health_status,quality_rating,
/// whatsapp_business_manager_messaging_limit,throughput` with the number's own token. Meta rate-limits these
/// reads, so they run every few minutes, not per message.
extension CloudAPIClient {
    /// The fields the check reads.
    static let healthFields = "health_status,quality_rating,whatsapp_business_manager_messaging_limit,throughput"

    /// What Meta says about number `phoneNumberID` at `now`: its health, or the Graph error that refused the
    /// check, or nil when Meta could not be reached.
    public func checkNumber(_ phoneNumberID: String, accessToken: String?, now: Date) async -> Result<NumberHealth, GraphError>? {
        var request = HTTPClientRequest(
            url: "\(configuration.baseURL)/\(configuration.apiVersion)/\(phoneNumberID)?fields=\(Self.healthFields)")
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken ?? configuration.accessToken)")
        do {
            let response = try await execute(request)
            let body = Data(buffer: try await response.body.collect(upTo: Self.maxResponseBytes))
            let status = Int(response.status.code)
            guard (200..<300).contains(status) else {
                return GraphResponseParser.graphError(from: body, httpStatus: status).map { .failure($0) }
            }
            guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
            let health = object["health_status"] as? [String: Any]
            return .success(
                NumberHealth(
                    qualityRating: object["quality_rating"] as? String,
                    messagingLimit: (object["whatsapp_business_manager_messaging_limit"] ?? object["messaging_limit_tier"]) as? String,
                    healthStatus: health?["can_send_message"] as? String, checkedAt: now))
        } catch {
            return nil
        }
    }
}
