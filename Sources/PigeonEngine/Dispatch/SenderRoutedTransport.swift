import PigeonCore

/// The dispatcher's transport when web sessions are on: a message for a web session (one that names its
/// bridge) goes through `web`, every other one through `cloud`.
struct SenderRoutedTransport: MessageTransport {
    let cloud: any MessageTransport
    let web: any MessageTransport

    func send(_ message: OutboundMessage, completion: @escaping @Sendable (SendOutcome) -> Void) {
        if message.bridge != nil {
            web.send(message, completion: completion)
        } else {
            cloud.send(message, completion: completion)
        }
    }
}
