"""types.xsd's item types as the sandbox answers them: each one's elements, in the order its sequence has.

An item element lists its base type's elements first (ItemType, then MessageType, MeetingMessageType), then
its own. An element its type does not have is not answered at all (a cancellation has no IsMeeting). The
names are types.xsd's (Exchange 2013+, V2017_07_11); `tests/sandbox/test_item_types.py` holds them to
Microsoft's file whenever it is at hand, so a change of either shows.
"""

from __future__ import annotations

from functools import cache

ITEM = (
    "MimeContent", "ItemId", "ParentFolderId", "ItemClass", "Subject", "Sensitivity", "Body", "Attachments",
    "DateTimeReceived", "Size", "Categories", "Importance", "InReplyTo", "IsSubmitted", "IsDraft",
    "IsFromMe", "IsResend", "IsUnmodified", "InternetMessageHeaders", "DateTimeSent", "DateTimeCreated",
    "ResponseObjects", "ReminderDueBy", "ReminderIsSet", "ReminderNextTime", "ReminderMinutesBeforeStart",
    "DisplayCc", "DisplayTo", "DisplayBcc", "HasAttachments", "ExtendedProperty", "Culture",
    "EffectiveRights", "LastModifiedName", "LastModifiedTime", "IsAssociated",
    "WebClientReadFormQueryString", "WebClientEditFormQueryString", "ConversationId", "UniqueBody", "Flag",
    "StoreEntryId", "InstanceKey", "NormalizedBody", "EntityExtractionResult", "PolicyTag", "ArchiveTag",
    "RetentionDate", "Preview", "RightsManagementLicenseData", "PredictedActionReasons", "IsClutter",
    "BlockStatus", "HasBlockedImages", "TextBody", "IconIndex", "SearchKey", "SortKey", "Hashtags",
    "Mentions", "MentionedMe", "MentionsPreview", "MentionsEx", "AppliedHashtags", "AppliedHashtagsPreview",
    "Likes", "LikesPreview", "PendingSocialActivityTagIds", "AtAllMention", "CanDelete",
    "InferenceClassification",
)  # fmt: skip
MESSAGE = (
    "Sender", "ToRecipients", "CcRecipients", "BccRecipients", "IsReadReceiptRequested",
    "IsDeliveryReceiptRequested", "ConversationIndex", "ConversationTopic", "From", "InternetMessageId",
    "IsRead", "IsResponseRequested", "References", "ReplyTo", "ReceivedBy", "ReceivedRepresenting",
    "ApprovalRequestData", "VotingInformation", "ReminderMessageData", "MessageSafety", "SenderSMTPAddress",
    "MailboxGuids", "MailboxGuid", "PublishedCalendarItemIcs", "PublishedCalendarItemName",
)  # fmt: skip
MEETING_MESSAGE = (
    "AssociatedCalendarItemId", "IsDelegated", "IsOutOfDate", "HasBeenProcessed", "ResponseType", "UID",
    "RecurrenceId", "DateTimeStamp", "IsOrganizer",
)  # fmt: skip
CALENDAR_ITEM = (
    "UID", "RecurrenceId", "DateTimeStamp", "Start", "End", "OriginalStart", "IsAllDayEvent",
    "LegacyFreeBusyStatus", "Location", "When", "IsMeeting", "IsCancelled", "IsRecurring",
    "MeetingRequestWasSent", "IsResponseRequested", "CalendarItemType", "MyResponseType", "Organizer",
    "RequiredAttendees", "OptionalAttendees", "Resources", "InboxReminders", "ConflictingMeetingCount",
    "AdjacentMeetingCount", "ConflictingMeetings", "AdjacentMeetings", "Duration", "TimeZone",
    "AppointmentReplyTime", "AppointmentSequenceNumber", "AppointmentState", "Recurrence",
    "FirstOccurrence", "LastOccurrence", "ModifiedOccurrences", "DeletedOccurrences", "MeetingTimeZone",
    "StartTimeZone", "EndTimeZone", "ConferenceType", "AllowNewTimeProposal", "IsOnlineMeeting",
    "MeetingWorkspaceUrl", "NetShowUrl", "EnhancedLocation", "StartWallClock", "EndWallClock",
    "StartTimeZoneId", "EndTimeZoneId", "IntendedFreeBusyStatus", "JoinOnlineMeetingUrl",
    "OnlineMeetingSettings", "IsOrganizer", "CalendarActivityData",
)  # fmt: skip
MEETING_REQUEST = (
    "MeetingRequestType", "IntendedFreeBusyStatus", "Start", "End", "OriginalStart", "IsAllDayEvent",
    "LegacyFreeBusyStatus", "Location", "When", "IsMeeting", "IsCancelled", "IsRecurring",
    "MeetingRequestWasSent", "CalendarItemType", "MyResponseType", "Organizer", "RequiredAttendees",
    "OptionalAttendees", "Resources", "ConflictingMeetingCount", "AdjacentMeetingCount",
    "ConflictingMeetings", "AdjacentMeetings", "Duration", "TimeZone", "AppointmentReplyTime",
    "AppointmentSequenceNumber", "AppointmentState", "Recurrence", "FirstOccurrence", "LastOccurrence",
    "ModifiedOccurrences", "DeletedOccurrences", "MeetingTimeZone", "StartTimeZone", "EndTimeZone",
    "ConferenceType", "AllowNewTimeProposal", "IsOnlineMeeting", "MeetingWorkspaceUrl", "NetShowUrl",
    "EnhancedLocation", "ChangeHighlights", "StartWallClock", "EndWallClock", "StartTimeZoneId",
    "EndTimeZoneId",
)  # fmt: skip
MEETING_CANCELLATION = ("Start", "End", "Location", "Recurrence", "CalendarItemType", "EnhancedLocation")
MEETING_RESPONSE = (
    "Start", "End", "Location", "Recurrence", "CalendarItemType", "ProposedStart", "ProposedEnd",
    "EnhancedLocation",
)  # fmt: skip

TYPES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "CalendarItem": (("ItemType", ITEM), ("CalendarItemType", CALENDAR_ITEM)),
    "Message": (("ItemType", ITEM), ("MessageType", MESSAGE)),
    "MeetingRequest": (
        ("ItemType", ITEM),
        ("MessageType", MESSAGE),
        ("MeetingMessageType", MEETING_MESSAGE),
        ("MeetingRequestMessageType", MEETING_REQUEST),
    ),
    "MeetingCancellation": (
        ("ItemType", ITEM),
        ("MessageType", MESSAGE),
        ("MeetingMessageType", MEETING_MESSAGE),
        ("MeetingCancellationMessageType", MEETING_CANCELLATION),
    ),
    "MeetingResponse": (
        ("ItemType", ITEM),
        ("MessageType", MESSAGE),
        ("MeetingMessageType", MEETING_MESSAGE),
        ("MeetingResponseMessageType", MEETING_RESPONSE),
    ),
}
"""The element an item is answered as → (types.xsd type, its own elements), base types first."""


@cache
def positions(element: str) -> dict[str, int]:
    """Child element name → its place in `element` (an answered item element such as `MeetingRequest`)."""
    order: dict[str, int] = {}
    for _, names in TYPES[element]:
        for name in names:
            order.setdefault(name, len(order))
    return order
