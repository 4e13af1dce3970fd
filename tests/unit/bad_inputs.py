"""Bad meeting files and the exact problem each must produce (file:line:col: path: message)."""

BASE = """key: standup
subject: Stand-up
organizer: lead@example.com
timezone: Europe/Amsterdam
start: 2026-12-07T09:30
duration: 15m
"""

WEEKLY = (
    BASE
    + """repeat:
  every: week
  days: [mon, wed]
"""
)

GROUPS = """groups:
  platform: [alice@example.com, bob@example.com]
"""

# Each case: id → (files, expected problem lines). Files are written under meetings/.
CASES: dict[str, tuple[dict[str, str | bytes], list[str]]] = {}


def case(name: str, files: dict[str, str | bytes], *expected: str) -> None:
    CASES[name] = (files, list(expected))


# --- YAML hazards -------------------------------------------------------------------------------------
case(
    "empty-file",
    {"a.yaml": ""},
    "meetings/a.yaml:1:1: file is empty; add a meeting or delete the file",
)
case(
    "only-comments",
    {"a.yaml": "# nothing here\n\n"},
    "meetings/a.yaml:1:1: file is empty; add a meeting or delete the file",
)
case(
    "invalid-utf8",
    {"a.yaml": BASE.encode() + b"location: caf\xe9\n"},
    "meetings/a.yaml:7:14: invalid UTF-8 (byte 0xe9); save the file as UTF-8",
)
case(
    "tab-indent",
    {"a.yaml": BASE + "attendees:\n\trequired: [a@example.com]\n"},
    "meetings/a.yaml:8:1: tab used for indentation; indent with spaces",
)
case(
    "duplicate-mapping-key",
    {"a.yaml": BASE + "subject: Again\n"},
    "meetings/a.yaml:7:1: subject: duplicate key 'subject' (first at line 2); remove one of them",
)
case(
    "duplicate-nested-key",
    {"a.yaml": WEEKLY + "  every: day\n"},
    "meetings/a.yaml:10:3: repeat.every: duplicate key 'every' (first at line 8); remove one of them",
)
case(
    "alias-bomb",
    {
        "a.yaml": BASE
        + "x0: &a [y, y, y, y, y, y, y, y, y, y]\n"
        + "".join(
            f"x{i}: &a{i} [{', '.join(['*a' if i == 1 else f'*a{i - 1}'] * 10)}]\n" for i in range(1, 6)
        )
    },
    "meetings/a.yaml:7:18: aliases expand beyond 10,000 nodes; remove the anchors/aliases that multiply",
)
case(
    "syntax-error",
    {"a.yaml": BASE + "location: [Oak room\n"},
    "meetings/a.yaml:8:1: YAML syntax error: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence that starts at line 7, column 11)",
)
case(
    "bare-on-key",
    {"a.yaml": BASE + "repeat:\n  every: week\n  on: [mon]\n"},
    "meetings/a.yaml:9:3: repeat: key `on` reads as the boolean true in YAML; write `days:`",
)
case(
    "boolean-top-key",
    {"a.yaml": BASE + "yes: 1\n"},
    "meetings/a.yaml:7:1: key `yes` reads as the boolean true in YAML; quote it: 'yes':",
)
case(
    "number-key",
    {"a.yaml": BASE + "42: answer\n"},
    "meetings/a.yaml:7:1: key `42` must be a name, not a number or date; quote it",
)
case(
    "document-not-mapping",
    {"a.yaml": "- key: standup\n"},
    "meetings/a.yaml:1:1: a meeting must be a mapping of keys (key: ..., subject: ...)",
)
case(
    "second-document-bad",
    {"a.yaml": BASE + "---\njust text\n"},
    "meetings/a.yaml:8:1: a meeting must be a mapping of keys (key: ..., subject: ...)",
)

# --- schema ------------------------------------------------------------------------------------------
case(
    "unknown-key-suggestion",
    {"a.yaml": BASE + "attendes:\n  required: [a@example.com]\n"},
    "meetings/a.yaml:7:1: attendes: unknown key; did you mean 'attendees'?",
)
case(
    "unknown-nested-key",
    {"a.yaml": BASE + "repeat:\n  every: week\n  dayz: [mon]\n"},
    "meetings/a.yaml:9:3: repeat.dayz: unknown key; did you mean 'days'?",
)
case(
    "missing-subject",
    {"a.yaml": BASE.replace("subject: Stand-up\n", "")},
    "meetings/a.yaml:1:1: missing required key 'subject'",
)
case(
    "missing-organizer",
    {"a.yaml": BASE.replace("organizer: lead@example.com\n", "")},
    "meetings/a.yaml:1:1: missing required key 'organizer'",
)
case(
    "key-pattern",
    {"a.yaml": BASE.replace("key: standup", "key: Stand Up")},
    "meetings/a.yaml:1:6: key: 'Stand Up' is not lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters",
)
case(
    "key-too-long",
    {"a.yaml": BASE.replace("key: standup", "key: " + "a" * 65)},
    "meetings/a.yaml:1:6: key: is 65 characters long; at most 64 allowed",
)
case(
    "wrong-type-subject",
    {"a.yaml": BASE.replace("subject: Stand-up", "subject: [a, b]")},
    "meetings/a.yaml:2:10: subject: must be text, not a list",
)
case(
    "bad-enum-show-as",
    {"a.yaml": BASE + "show_as: away\n"},
    "meetings/a.yaml:7:10: show_as: 'away' is not allowed; use one of: free, tentative, busy, oof, working_elsewhere",
)
case(
    "bad-duration",
    {"a.yaml": BASE.replace("duration: 15m", "duration: a while")},
    "meetings/a.yaml:6:11: duration: 'a while' is not a duration such as 15m, 1h30m, 2h, 1d or PT15M",
)
case(
    "bad-reminder",
    {"a.yaml": BASE + "reminder: soon\n"},
    "meetings/a.yaml:7:11: reminder: 'soon' is not a duration such as 10m, or none",
)
case(
    "bad-start-form",
    {"a.yaml": BASE.replace("start: 2026-12-07T09:30", "start: next monday")},
    "meetings/a.yaml:5:8: start: 'next monday' is not a local date-time such as 2026-12-07T09:30 (or a date 2026-12-07 for all-day meetings)",
)
case(
    "bad-weekday",
    {"a.yaml": WEEKLY.replace("[mon, wed]", "[mon, funday]")},
    "meetings/a.yaml:9:15: repeat.days[1]: 'funday' is not allowed; use one of: mon, tue, wed, thu, fri, sat, sun",
)
case(
    "attendee-not-string",
    {"a.yaml": BASE + "attendees:\n  required: [a@example.com, 7]\n"},
    "meetings/a.yaml:8:29: attendees.required[1]: must be text, not the number 7",
)
case(
    "body-and-body-html",
    {"a.yaml": BASE + "body: hi\nbody_html: <p>hi</p>\n"},
    "meetings/a.yaml:8:12: body_html: give either `body` or `body_html`, not both",
)

# --- cross-file ----------------------------------------------------------------------------------------
case(
    "duplicate-key-across-files",
    {"a.yaml": BASE, "b.yaml": "# copy\n" + BASE},
    "meetings/b.yaml:2:6: key: duplicate key 'standup': also defined at meetings/a.yaml:1:6; keys must be unique",
)
case(
    "key-is-previous-key",
    {"a.yaml": BASE, "b.yaml": BASE.replace("key: standup", "key: daily") + "previous_keys: [standup]\n"},
    "meetings/b.yaml:7:17: previous_keys[0]: 'standup' is the key of the meeting at meetings/a.yaml:1:6; a previous key must not be in use",
)

# --- groups ------------------------------------------------------------------------------------------
case(
    "unknown-group",
    {"_groups.yaml": GROUPS, "a.yaml": BASE + "attendees:\n  required: [group:platfrom]\n"},
    "meetings/a.yaml:8:14: attendees.required[0]: unknown group 'platfrom' (groups: platform); define it in _groups.yaml",
)
case(
    "group-cycle",
    {"_groups.yaml": "groups:\n  a: [group:b]\n  b: [group:a]\n", "a.yaml": BASE},
    "meetings/_groups.yaml:2:3: groups.a: groups include each other in a cycle: a → b → a; remove one of the references",
)
case(
    "group-unknown-nested",
    {"_groups.yaml": "groups:\n  a: [x@example.com, group:nope]\n", "a.yaml": BASE},
    "meetings/_groups.yaml:2:22: groups.a[1]: unknown group 'nope'; define it in this file",
)
case(
    "too-many-attendees",
    {
        "_groups.yaml": "groups:\n  all:\n" + "".join(f"    - p{i}@example.com\n" for i in range(501)),
        "a.yaml": BASE + "attendees:\n  required: [group:all]\n",
    },
    "meetings/a.yaml:8:3: attendees: 501 attendees after groups expand; at most 500 can receive one invitation",
)

# --- semantic ------------------------------------------------------------------------------------------
case(
    "invalid-timezone",
    {"a.yaml": BASE.replace("Europe/Amsterdam", "Europe/Amsterdm")},
    "meetings/a.yaml:4:11: timezone: unknown time zone 'Europe/Amsterdm'; use an IANA name such as Europe/Amsterdam",
)
case(
    "malformed-address",
    {"a.yaml": BASE + "attendees:\n  optional: [bob(at)example.com]\n"},
    "meetings/a.yaml:8:14: attendees.optional[0]: 'bob(at)example.com' is not an e-mail address; write name@example.com or Name <name@example.com>",
)
case(
    "malformed-organizer",
    {"a.yaml": BASE.replace("lead@example.com", "lead")},
    "meetings/a.yaml:3:12: organizer: 'lead' is not an e-mail address; write name@example.com or Name <name@example.com>",
)
case(
    "end-before-start",
    {"a.yaml": BASE.replace("duration: 15m", "end: '09:00'")},
    "meetings/a.yaml:6:6: end: ends at 2026-12-07 09:00, not after its start 2026-12-07 09:30",
)
case(
    "end-equals-start-datetime",
    {"a.yaml": BASE.replace("duration: 15m", "end: 2026-12-07T09:30")},
    "meetings/a.yaml:6:6: end: ends at 2026-12-07 09:30, not after its start 2026-12-07 09:30",
)
case(
    "end-and-duration",
    {"a.yaml": BASE + "end: '10:00'\n"},
    "meetings/a.yaml:7:6: end: give either `end` or `duration`, not both",
)
case(
    "no-duration",
    {"a.yaml": BASE.replace("duration: 15m\n", "")},
    "meetings/a.yaml:5:8: start: add `duration` (e.g. 30m) or `end`",
)
case(
    "occurrence-longer-than-interval",
    {"a.yaml": BASE.replace("duration: 15m", "duration: 2d") + "repeat:\n  every: day\n"},
    "meetings/a.yaml:6:11: duration: each occurrence lasts longer than the repeat interval; shorten it to at most 1d",
)
case(
    "start-not-occurrence",
    {"a.yaml": WEEKLY.replace("[mon, wed]", "[tue, thu]")},
    "meetings/a.yaml:5:8: start: Mon 2026-12-07 is not an occurrence of the repeat pattern; the first one would be Tue 2026-12-08",
)
case(
    "start-not-last-friday",
    {"a.yaml": BASE + "repeat:\n  every: month\n  weekday: fri\n  week: last\n"},
    "meetings/a.yaml:5:8: start: Mon 2026-12-07 is not an occurrence of the repeat pattern; the first one would be Fri 2026-12-25",
)
case(
    "skip-not-occurrence",
    {"a.yaml": WEEKLY + "skip: [2026-12-08]\n"},
    "meetings/a.yaml:10:8: skip[0]: 2026-12-08 is not an occurrence of this meeting",
)
case(
    "move-not-occurrence",
    {"a.yaml": WEEKLY + "moves:\n  - date: 2026-12-10\n    start: 2026-12-10T10:00\n"},
    "meetings/a.yaml:11:11: moves[0].date: 2026-12-10 is not an occurrence of this meeting",
)
case(
    "move-crosses-neighbour",
    {"a.yaml": WEEKLY + "moves:\n  - date: 2026-12-09\n    start: 2026-12-14T10:00\n"},
    "meetings/a.yaml:12:12: moves[0].start: moves the 2026-12-09 occurrence to 2026-12-14, onto or past the neighbouring occurrence on 2026-12-14; Exchange forbids that",
)
case(
    "until-and-count",
    {"a.yaml": WEEKLY + "  until: 2027-01-31\n  count: 5\n"},
    "meetings/a.yaml:11:10: repeat.count: give either `until` or `count`, not both",
)
case(
    "until-before-start",
    {"a.yaml": WEEKLY + "  until: 2026-11-30\n"},
    "meetings/a.yaml:10:10: repeat.until: 2026-11-30 is before the start 2026-12-07",
)
case(
    "skip-without-repeat",
    {"a.yaml": BASE + "skip: [2026-12-07]\n"},
    "meetings/a.yaml:7:7: skip: only a repeating meeting has occurrences to skip or move",
)
case(
    "days-with-month",
    {"a.yaml": BASE + "repeat:\n  every: month\n  days: [mon]\n"},
    "meetings/a.yaml:9:9: repeat.days: `days` does not apply to `every: month`; remove it",
)
case(
    "weekday-without-week",
    {"a.yaml": BASE + "repeat:\n  every: month\n  weekday: mon\n"},
    "meetings/a.yaml:8:3: repeat: `weekday` and `week` go together; add `week`",
)
case(
    "all-day-with-time",
    {"a.yaml": BASE.replace("duration: 15m\n", "all_day: true\n")},
    "meetings/a.yaml:5:8: start: an all-day meeting starts on a date; write e.g. 2027-03-11",
)
case(
    "all-day-duration-not-whole-days",
    {
        "a.yaml": BASE.replace("2026-12-07T09:30", "2026-12-07").replace(
            "duration: 15m\n", "all_day: true\nduration: 36h\n"
        )
    },
    "meetings/a.yaml:7:11: duration: an all-day meeting lasts whole days: use e.g. 2d (or days: 2), not '36h'",
)
case(
    "all-day-with-end",
    {
        "a.yaml": BASE.replace("2026-12-07T09:30", "2026-12-07").replace(
            "duration: 15m\n", "all_day: true\nend: 2026-12-08T00:00\n"
        )
    },
    "meetings/a.yaml:7:6: end: an all-day meeting has `days` (or a duration in whole days), not `end`",
)
case(
    "bad-date",
    {"a.yaml": BASE.replace("2026-12-07T09:30", "2026-02-30T09:30")},
    "meetings/a.yaml:5:8: start: '2026-02-30T09:30' is not a real date-time",
)
case(
    "defaults-unknown-key",
    {"_defaults.yaml": "organiser: lead@example.com\n", "a.yaml": BASE},
    "meetings/_defaults.yaml:1:1: organiser: unknown key; did you mean 'organizer'?",
)
case(
    "defaults-typo-blamed-once-where-it-is",
    {
        "_defaults.yaml": "organizer: lead@example.com\ntimezone: Europe/Amsterdam\nremindr: 5m\n",
        "a.yaml": "key: a\nsubject: A\nstart: 2026-12-07T09:30\nduration: 15m\n",
        "b.yaml": "key: b\nsubject: B\nstart: 2026-12-08T09:30\nduration: 15m\n",
    },
    # the defaults' other keys still apply: no meeting is told it lacks organizer or timezone
    "meetings/_defaults.yaml:3:1: remindr: unknown key; did you mean 'reminder'?",
)
case(
    "defaults-bad-value-not-reported-again-as-missing",
    {
        "_defaults.yaml": "organizer: lead@@example\ntimezone: Europe/Amsterdam\n",
        "a.yaml": "key: a\nsubject: A\nstart: 2026-12-07T09:30\nduration: 15m\n",
    },
    "meetings/_defaults.yaml:1:12: organizer: 'lead@@example' is not an e-mail address; write name@example.com "
    "or Name <name@example.com>",
)
case(
    "group-member-bad-address-at-the-groups-file",
    {
        "_groups.yaml": "groups:\n  team:\n    - alice@example.com\n    - bob@@example\n",
        "a.yaml": BASE + "attendees:\n  required: [group:team]\n",
        "b.yaml": BASE.replace("key: standup", "key: other") + "attendees:\n  optional: [group:team]\n",
    },
    "meetings/_groups.yaml:4:7: groups.team[1]: 'bob@@example' is not an e-mail address; write "
    "name@example.com or Name <name@example.com>",
)
case(
    "defaulted-bad-timezone",
    {
        "_defaults.yaml": "timezone: Mars/Olympus\n",
        "a.yaml": BASE.replace("timezone: Europe/Amsterdam\n", ""),
    },
    "meetings/_defaults.yaml:1:11: timezone: unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Amsterdam",
)
case(
    "unknown-holiday-country",
    {"a.yaml": WEEKLY + "skip_holidays: [NL, XY]\n"},
    "meetings/a.yaml:10:21: skip_holidays[1]: 'XY' is not a holiday calendar the holidays library knows; "
    "did you mean YT, YE, XK?",
)
case(
    "unknown-holiday-subdivision-from-defaults",
    {"_defaults.yaml": "skip_holidays: DE-XX\n", "a.yaml": WEEKLY},
    "meetings/_defaults.yaml:1:16: skip_holidays: 'DE-XX': DE has no subdivision XX; it has DE-BB, DE-BE, "
    "DE-BW, DE-BY, DE-HB, DE-HE, DE-HH, DE-MV…",
)
