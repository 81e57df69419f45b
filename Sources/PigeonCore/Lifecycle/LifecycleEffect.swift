import Foundation

/// Work outside the message row that a transition asks for; the engine carries it out.
public enum LifecycleEffect: Sendable, Hashable {
    /// Stop all sends on the message's sender until an operator resumes it.
    case pauseSender(Classification)
    /// Meta throttled the sender: slow it down.
    case slowSender(Classification)
    /// WhatsApp restricts the sender from reaching new contacts: mark it restricted.
    case restrictSender(Classification)
}
