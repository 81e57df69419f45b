/// Meta's WhatsApp Cloud API error codes (shared/meta-cloud-api.md §1.3), with Pigeon's action for each.
extension ErrorTable {
    /// The built-in table.
    public static let meta = ErrorTable(
        rules: [
            // Sender-level: pause the phone number, keep its messages queued.
            0: [ErrorRule(.senderLevel, "AuthException")],
            3: [ErrorRule(.senderLevel, "API Method")],
            10: [ErrorRule(.senderLevel, "Permission Denied")],
            33: [ErrorRule(.senderLevel, "Parameter value is not valid (business phone number deleted)")],
            190: [ErrorRule(.senderLevel, "Access token has expired")],
            368: [ErrorRule(.senderLevel, "Temporarily blocked for policies violations")],
            131005: [ErrorRule(.senderLevel, "Access denied")],
            131031: [ErrorRule(.senderLevel, "Account has been locked")],
            131037: [ErrorRule(.senderLevel, "WhatsApp provided number needs display name approval")],
            131042: [ErrorRule(.senderLevel, "Business eligibility payment issue")],
            131045: [ErrorRule(.senderLevel, "Incorrect certificate")],
            131048: [ErrorRule(.senderLevel, "Spam rate limit hit")],
            131064: [ErrorRule(.senderLevel, "Messaging limit hit due to template classification violations")],
            133000: [ErrorRule(.senderLevel, "Incomplete deregistration")],
            133005: [ErrorRule(.senderLevel, "Two step verification PIN mismatch")],
            133006: [ErrorRule(.senderLevel, "Phone number re-verification needed")],
            133010: [ErrorRule(.senderLevel, "Phone number not registered")],
            134011: [ErrorRule(.senderLevel, "WhatsApp Payments terms of service not accepted")],

            // Transient: retry with backoff while the budget lasts.
            1: [ErrorRule(.transient, "API Unknown")],
            2: [ErrorRule(.transient, "API Service")],
            131000: [ErrorRule(.transient, "Something went wrong")],
            131016: [ErrorRule(.transient, "Service unavailable")],
            131057: [ErrorRule(.transient, "Account in maintenance mode")],
            133004: [ErrorRule(.transient, "Server temporarily unavailable")],
            2_494_100: [ErrorRule(.transient, "Phone number in maintenance mode")],

            // Throttled: slow the sender, requeue without spending the attempt budget.
            4: [ErrorRule(.throttled, "API Too Many Calls")],
            80007: [ErrorRule(.throttled, "Rate limit issues")],
            130429: [ErrorRule(.throttled, "Rate limit hit")],

            // Pair-limited: only this recipient waits.
            131056: [ErrorRule(.pairLimited, "(Business Account, Consumer Account) pair rate limit hit")],

            // Media: the media in the message could not be processed. An invalid parameter whose details name
            // the media (a media id Meta no longer knows) is one too: a fresh upload can fix it (§4, Rec.).
            131053: [ErrorRule(.media, "Media upload error")],
            100: [
                ErrorRule(.media, "Invalid parameter", detailsContains: "media"), ErrorRule(.permanent, "Invalid parameter"),
            ],
            131009: [
                ErrorRule(.media, "Parameter value is not valid", detailsContains: "media"),
                ErrorRule(.permanent, "Parameter value is not valid"),
            ],

            // Permanent: dead-letter at once.
            470: [ErrorRule(.permanent, "Message failed to send because more than 24 hours have passed")],
            130403: [ErrorRule(.permanent, "Business has blocked this user")],
            130472: [ErrorRule(.permanent, "User's number is part of an experiment")],
            130497: [ErrorRule(.permanent, "Business account is restricted from messaging users in this country")],
            131008: [ErrorRule(.permanent, "Required parameter is missing")],
            131021: [ErrorRule(.permanent, "Recipient cannot be sender")],
            131026: [ErrorRule(.permanent, "Message undeliverable")],
            131030: [ErrorRule(.permanent, "Recipient phone number not in allowed list")],
            131036: [ErrorRule(.permanent, "No-storage message expired")],
            131047: [ErrorRule(.permanent, "Re-engagement message")],
            131049: [ErrorRule(.permanent, "Not delivered to maintain healthy ecosystem engagement")],
            131050: [ErrorRule(.permanent, "User has stopped marketing messages")],
            131051: [ErrorRule(.permanent, "Unsupported message type")],
            131055: [ErrorRule(.permanent, "Method not allowed")],
            131062: [ErrorRule(.permanent, "Business-scoped user id recipients unsupported")],
            131063: [ErrorRule(.permanent, "Marketing templates disabled for this account")],
            132000: [ErrorRule(.permanent, "Template param count mismatch")],
            132001: [ErrorRule(.permanent, "Template does not exist")],
            132005: [ErrorRule(.permanent, "Template hydrated text too long")],
            132007: [ErrorRule(.permanent, "Template format character policy violated")],
            132012: [ErrorRule(.permanent, "Template parameter format mismatch")],
            132015: [ErrorRule(.permanent, "Template is paused")],
            132016: [ErrorRule(.permanent, "Template is disabled")],
            132018: [ErrorRule(.permanent, "Template validation error")],
            132068: [ErrorRule(.permanent, "Flow is blocked")],
            132069: [ErrorRule(.permanent, "Flow is throttled")],
            135000: [ErrorRule(.permanent, "Generic user error")],
            137000: [ErrorRule(.permanent, "Identity key hash mismatch")],
        ],
        ranges: [
            (200...299, ErrorRule(.senderLevel, "API Permission"))
        ]
    )
}
