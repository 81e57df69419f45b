/// Which ordering key a forwarded event is queued under and which message id a forwarded status carries:
/// the one rule every store applies.
public enum ForwardRouting {
    /// The Pigeon message id a status is about: the message it was matched to, or else the callback data
    /// Meta echoed (Pigeon sends its id as `biz_opaque_callback_data`); nil when neither is known.
    public static func pigeonID(of report: StatusReport, matched message: MessageID?) -> String? {
        message?.rawValue ?? report.callbackData
    }

    /// Where status `report` about `pigeonID` (from `pigeonID(of:matched:)`) is forwarded. `knownByPigeonID`:
    /// the drop-in endpoint answered the application with Pigeon's id for that message, so that is the id
    /// it must see; otherwise it sees Meta's wamid. A message's statuses share one key, so they arrive in order
    /// whether or not Meta echoed the callback data.
    public static func status(_ report: StatusReport, pigeonID: String?, knownByPigeonID: Bool) -> (key: String, id: String) {
        guard let pigeonID else { return (report.wamid, report.wamid) }
        return (pigeonID, knownByPigeonID ? pigeonID : report.wamid)
    }

    /// The ordering key of an inbound message: a sender's messages arrive in order.
    public static func inboundKey(from sender: String) -> String { "from:" + sender }
}
