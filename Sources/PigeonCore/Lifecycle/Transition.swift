/// The result of applying a `LifecycleEvent` to a `MessageState`.
public enum Transition: Sendable, Hashable {
    /// The message moves to `state`; `effects` are to be carried out by the engine.
    case moved(MessageState, effects: [LifecycleEffect])
    /// The event is valid but changes nothing (for example a late `delivered` after `read`).
    case unchanged
    /// The event is not allowed in the current state; `reason` says why, for the caller.
    case rejected(reason: String)

    /// The new state, when the message moved.
    public var state: MessageState? {
        if case .moved(let state, _) = self { return state }
        return nil
    }
}
