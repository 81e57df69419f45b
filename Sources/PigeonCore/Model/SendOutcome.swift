/// What a transport reports for one send attempt.
public enum SendOutcome: Sendable, Hashable {
    /// Meta accepted the message and gave it this wamid.
    case accepted(wamid: String)
    /// Meta answered with a Graph error body.
    case graphError(GraphError)
    /// An HTTP error status without a Graph error body (for example a 502 from a proxy).
    case httpError(status: Int, body: String)
    /// A WhatsApp Web bridge (WAHA) answered an HTTP error status; classified by `ErrorTable.waha`.
    case bridgeError(status: Int, body: String)
    /// The request never reached Meta (connection refused, DNS, TLS): safe to resend.
    case notDelivered(reason: String)
    /// The request may have reached Meta but no answer came (timeout or connection lost after writing):
    /// the attempt is in doubt.
    case inDoubt(reason: String)
}
