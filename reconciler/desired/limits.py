"""What Exchange accepts in one meeting message, checked before anything is sent.

Every invitation, update and cancellation is a message: a meeting Exchange refuses to send fails on every
apply, after the plan looked fine. So `validate` and `plan` check the limits Microsoft documents, at the
meeting's file and line:
- size: a body of at most 4 MB (as UTF-8). Microsoft Graph refuses requests over 4 MB, the smallest limit a
  target here has (Exchange Server's default maximum message size is 10 MB, Exchange Online's 35 MB); the
  whole message (body, subject, location, attendees) must fit the same budget.
The subject's 255 characters are the schema's; the 500 recipients of a message are checked where groups
are expanded (`build.py`).
"""

from __future__ import annotations

from reconciler.desired.model import Meeting
from reconciler.desired.problems import Problem

MAX_BYTES = 4 * 1024 * 1024
ATTENDEE_BYTES = 200
"""What one attendee adds to a message (address, name, response fields) as a generous estimate."""


def _size(text: str | None) -> int:
    return len(text.encode("utf-8")) if text else 0


def limit_problems(meeting: Meeting) -> list[Problem]:
    """The limits `meeting` exceeds, each at the key to change."""
    out = []
    people = len(meeting.attendees.all())
    body_key = "body_html" if meeting.body_html is not None else "body"
    body = _size(meeting.body_html if meeting.body_html is not None else meeting.body)
    if body > MAX_BYTES:
        out.append(
            Problem(
                (body_key,),
                f"the body is {body:,} bytes; a meeting message may be at most {MAX_BYTES:,} bytes "
                "(4 MB, Microsoft Graph's request limit): shorten it, or link to a document instead",
            )
        )
    total = body + _size(meeting.subject) + _size(meeting.location) + people * ATTENDEE_BYTES
    if body <= MAX_BYTES < total:
        out.append(
            Problem(
                (body_key,),
                f"the message would be about {total:,} bytes with its {people} attendees; at most "
                f"{MAX_BYTES:,} bytes (4 MB) are accepted: shorten the body",
            )
        )
    return out
