"""`reconciler export html`: a static site of one week, for people to look at rather than read.

One page per team folder, per person and per room: a week grid (a column per day, a row per hour) with each
meeting at its local time in the page's zone; skipped occurrences are shown struck through where they would
have been, moved ones where they went (with where they came from), double bookings and rooms that will
decline are marked. Each meeting has a page of its own and a link to its `.ics` preview. Plain files (no
script, no web font, no CDN): any static host serves them and they work offline. Pure: files → pages.
Every piece of meeting text is HTML-escaped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from zoneinfo import ZoneInfo

from reconciler.desired.ical_export import to_ical
from reconciler.desired.model import Meeting
from reconciler.desired.recurrence import occurrences, rule
from reconciler.desired.schedule import describe_pattern, next_occurrences
from reconciler.plan.conflicts import mailboxes
from reconciler.plan.rooms import RoomWarning
from reconciler.wording import counted

HOUR_PX = 48
DAY_START, DAY_END = 8, 18
"""The hours always shown; a page widens them to fit its earliest and latest meeting."""


@dataclass(frozen=True)
class Block:
    """One occurrence on the grid, in the page's zone."""

    meeting: Meeting
    start: datetime
    end: datetime
    state: str = "booked"
    """`booked`, `moved` (shown where it went) or `skipped` (shown where it would have been)."""
    note: str = ""
    marks: tuple[str, ...] = field(default=())
    """What a person must notice: double bookings, a room that will decline."""


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def page_zone(meetings: Sequence[Meeting]) -> str:
    """The zone most meetings are in (a page shows one zone; each meeting's page names its own)."""
    counts = Counter(m.timezone for m in meetings)
    return counts.most_common(1)[0][0] if counts else "UTC"


def week_blocks(meetings: Sequence[Meeting], monday: date, zone: str) -> list[Block]:
    """Every occurrence in the week starting `monday`, skipped ones included, in `zone`."""
    tz = ZoneInfo(zone)
    start = datetime.combine(monday, time.min, tz)
    end = start + timedelta(days=7)
    out: list[Block] = []
    for m in meetings:
        here = ZoneInfo(m.timezone)
        for o in occurrences(m, start, end):
            note = f"moved from {o.original_date:%a %d %b} {m.start:%H:%M}" if o.moved else ""
            state = "moved" if o.moved else "booked"
            out.append(Block(m, o.start.astimezone(tz), o.end.astimezone(tz), state, note))
        holidays = dict(m.holiday_skips)
        for day in m.skip:
            if m.recurrence is None or not start.date() - timedelta(days=1) <= day <= end.date():
                continue
            pattern = rule(m.recurrence, m.start).between(
                datetime.combine(day, time.min), datetime.combine(day, time.max), inc=True
            )
            for local in pattern:
                at = local.replace(tzinfo=here).astimezone(tz)
                if start <= at < end:
                    why = f"skipped: {holidays[day]}" if day in holidays else "skipped"
                    out.append(Block(m, at, at + m.duration, "skipped", why))
    return sorted(out, key=lambda b: (b.start, b.meeting.key))


def _books(b: Block) -> bool:
    """Whether the block takes its people's time (a skipped one, time shown as free, all day: no)."""
    return b.state != "skipped" and b.meeting.show_as != "free" and not b.meeting.all_day


MARKS_SHOWN = 3
"""Double bookings named on one block; the rest are counted (`validate --conflicts` lists them all)."""


def marked(blocks: Sequence[Block], declines: Mapping[str, str]) -> list[Block]:
    """Blocks with their marks: two overlapping meetings that book the same mailbox (time shown as free
    books nobody), found by one sweep in start order as `plan/conflicts.py` finds them, and meetings a room
    will decline (`declines`: key → why)."""
    marks: dict[int, list[str]] = {i: [] for i in range(len(blocks))}
    booked = {b.meeting.key: mailboxes(b.meeting) for b in blocks}
    active: list[int] = []
    for i in sorted(range(len(blocks)), key=lambda i: blocks[i].start):
        b = blocks[i]
        if not _books(b):
            continue
        active = [j for j in active if blocks[j].end > b.start]
        for j in active:
            other = blocks[j]
            shared = booked[b.meeting.key] & booked[other.meeting.key]
            if other.meeting.key != b.meeting.key and shared:
                who = ", ".join(sorted(shared))
                marks[i].append(f"double booked with {other.meeting.key}: {who}")
                marks[j].append(f"double booked with {b.meeting.key}: {who}")
        active.append(i)
    out = []
    for i, b in enumerate(blocks):
        found = marks[i][:MARKS_SHOWN]
        if len(marks[i]) > MARKS_SHOWN:  # a page a person reads: the first few, then how many more
            found.append(f"… and {counted(len(marks[i]) - MARKS_SHOWN, 'more double booking')}")
        if b.meeting.key in declines and b.state != "skipped":
            found.append(f"room will decline: {declines[b.meeting.key]}")
        out.append(Block(b.meeting, b.start, b.end, b.state, b.note, tuple(found)))
    return out


CSS = (
    f":root {{ --hour: {HOUR_PX}px; }}"
    + """
body { font: 14px/1.35 system-ui, sans-serif; margin: 1.5rem; color: #1b1f24; }
a { color: #0b5cad; } nav a { margin-right: .75rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; } .sub { color: #57606a; margin: 0 0 1rem; }
.week { display: grid; grid-template-columns: 4rem repeat(7, minmax(7rem, 1fr)); border: 1px solid #d0d7de; }
.dayhead { padding: .4rem; font-weight: 600; border-left: 1px solid #d0d7de; background: #f6f8fa; }
.allday { border-left: 1px solid #d0d7de; border-top: 1px solid #d0d7de; min-height: 1.6rem; padding: 2px; }
.hours, .day { position: relative; height: calc(var(--hours) * var(--hour)); border-top: 1px solid #d0d7de; }
.day { border-left: 1px solid #d0d7de; background: repeating-linear-gradient(
  #fff 0 calc(var(--hour) - 1px), #eaeef2 calc(var(--hour) - 1px) var(--hour)); }
.hour { position: absolute; right: .3rem; font-size: 11px; color: #57606a; transform: translateY(-50%); }
.block { position: absolute; box-sizing: border-box; left: 3px; right: 3px; overflow: hidden;
  border-radius: 4px; padding: 2px 4px; font-size: 12px; background: #ddf4ff; border: 1px solid #54aeff;
  text-decoration: none; color: inherit; }
.allday .block { position: static; display: block; margin: 1px 0; }
.block.moved { background: #fff8c5; border-color: #d4a72c; }
.block.skipped { background: #f6f8fa; border: 1px dashed #8c959f; color: #6e7781;
  text-decoration: line-through; }
.block.marked { border: 2px solid #cf222e; background: #ffebe9; }
.mark { display: block; color: #a40e26; font-weight: 600; }
table.details th { text-align: left; padding-right: 1rem; vertical-align: top; }
pre.body { white-space: pre-wrap; background: #f6f8fa; padding: .5rem; }
"""
)


def _page(title: str, subtitle: str, body: str, depth: int) -> str:
    up = "../" * depth
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="stylesheet" href="{up}style.css"></head><body>'
        f'<nav><a href="{up}index.html">All calendars</a></nav><h1>{escape(title)}</h1>'
        f'<p class="sub">{escape(subtitle)}</p>{body}</body></html>\n'
    )


def _clock(at: datetime) -> float:
    return at.hour + at.minute / 60


def render_week(blocks: Sequence[Block], monday: date, depth: int) -> str:
    """The grid: hour labels, a column per day, each block placed by its local start and length."""
    timed = [b for b in blocks if not b.meeting.all_day]
    first = min([DAY_START, *(int(_clock(b.start)) for b in timed)])
    ends = [24 if b.end.date() != b.start.date() else int(_clock(b.end) + 0.999) for b in timed]
    last = max([DAY_END, *ends])
    days = [monday + timedelta(days=i) for i in range(7)]
    cells = ['<div class="dayhead"></div>']
    cells += [f'<div class="dayhead" data-day="{d}">{d:%a %d %b}</div>' for d in days]
    cells.append('<div class="allday"></div>')
    for d in days:
        inside = "".join(_block(b, depth, None) for b in blocks if b.meeting.all_day and b.start.date() == d)
        cells.append(f'<div class="allday" data-day="{d}">{inside}</div>')
    hours = "".join(
        f'<div class="hour" data-hour="{h}" style="top:{(h - first) * HOUR_PX}px">{h:02d}:00</div>'
        for h in range(first, last + 1)
    )
    cells.append(f'<div class="hours">{hours}</div>')
    for d in days:
        today = [b for b in timed if b.start.date() == d]
        inside = "".join(_block(b, depth, first, lane, lanes) for b, lane, lanes in side_by_side(today))
        cells.append(f'<div class="day" data-day="{d}">{inside}</div>')
    return f'<section class="week" style="--hours:{last - first}">{"".join(cells)}</section>'


def side_by_side(blocks: Sequence[Block]) -> list[tuple[Block, int, int]]:
    """Each block of a day with its lane and the number of lanes of its group of overlapping blocks, so
    that meetings at the same time stand next to each other instead of on top of each other."""
    out: list[tuple[Block, int, int]] = []
    group: list[tuple[Block, int]] = []

    def close() -> None:
        lanes = 1 + max(lane for _, lane in group)
        out.extend((block, lane, lanes) for block, lane in group)
        group.clear()

    for b in sorted(blocks, key=lambda b: (b.start, b.meeting.key)):
        if group and b.start >= max(g.end for g, _ in group):
            close()
        taken = {lane for g, lane in group if g.end > b.start}
        group.append((b, next(lane for lane in range(len(group) + 1) if lane not in taken)))
    if group:
        close()
    return out


def _block(b: Block, depth: int, first: int | None, lane: int = 0, lanes: int = 1) -> str:
    m = b.meeting
    classes = " ".join(["block", b.state, *(["marked"] if b.marks else [])])
    style = ""
    if first is not None:
        hours = 24 - _clock(b.start) if b.end.date() != b.start.date() else _clock(b.end) - _clock(b.start)
        top = (_clock(b.start) - first) * HOUR_PX
        height = max(hours * HOUR_PX, 18)
        across = (
            f"left:calc({lane * 100}% / {lanes} + 2px);width:calc(100% / {lanes} - 4px)" if lanes > 1 else ""
        )
        style = f' style="top:{top:.1f}px;height:{height:.1f}px;{across}"'.replace(';"', '"')
    when = "all day" if m.all_day else f"{b.start:%H:%M}–{b.end:%H:%M}"
    lines = [f"<strong>{escape(m.subject)}</strong> {when}"]
    lines += [f'<span class="note">{escape(b.note)}</span>'] if b.note else []
    lines += [f'<span class="mark">{escape(mark)}</span>' for mark in b.marks]
    title = "; ".join([m.subject, when, *([b.note] if b.note else []), *b.marks])
    return (
        f'<a class="{classes}" href="{"../" * depth}meetings/{m.key}.html" data-key="{m.key}" '
        f'data-start="{b.start:%Y-%m-%dT%H:%M}" title="{escape(title)}"{style}>{"<br>".join(lines)}</a>'
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._@-]+", "-", text.lower()).strip("-") or "top"


def _meeting_page(m: Meeting, source: str, now: datetime, declines: Mapping[str, str]) -> str:
    def people(kind: tuple) -> str:
        return ", ".join(escape(a.name + f" <{a.address}>" if a.name else a.address) for a in kind) or "—"

    rows = [
        ("Key", escape(m.key)),
        ("File", escape(source)),
        ("When", escape(describe_pattern(m))),
        ("Organizer", escape(m.organizer)),
        ("Required", people(m.attendees.required)),
        ("Optional", people(m.attendees.optional)),
        ("Rooms", people(m.attendees.resources)),
        ("Location", escape(m.location or "—")),
        ("Next", escape(", ".join(next_occurrences(m, now)) or "none")),
        ("Skipped", escape(", ".join(f"{d}" for d in m.skip) or "none")),
    ]
    if m.key in declines:
        rows.append(("Room", f'<span class="mark">will decline: {escape(declines[m.key])}</span>'))
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    body = f'<pre class="body">{escape(m.body)}</pre>' if m.body else ""
    link = f'<p><a href="../ics/{m.key}.ics">Add to a calendar (.ics preview)</a></p>'
    return _page(m.subject, f"in {m.timezone}", f'<table class="details">{table}</table>{link}{body}', 1)


def build_site(
    meetings: Sequence[Meeting],
    sources: Mapping[str, object],
    teams: Mapping[str, str],
    namespace: str,
    monday: date,
    zone: str | None = None,
    warnings: Sequence[RoomWarning] = (),
    now: datetime | None = None,
) -> dict[str, str | bytes]:
    """Every file of the site by its path: index, a page per team folder, person and room, a page and an
    `.ics` per meeting, the stylesheet. `sources`: each meeting's file; `teams`: each meeting's team (the
    top folder under the meetings folder it is in)."""
    zone = zone or page_zone(meetings)
    now = now or datetime.now(UTC)
    declines = {w.key: f"{w.room}: {w.reason}" for w in warnings}
    blocks = marked(week_blocks(meetings, monday, zone), declines)
    attending = {m.organizer for m in meetings}
    attending |= {a.address for m in meetings for a in (*m.attendees.required, *m.attendees.optional)}
    people = sorted(attending)
    rooms = sorted({a.address for m in meetings for a in m.attendees.resources})
    subtitle = f"Week of {monday:%a %d %b %Y}, times in {zone}"
    files: dict[str, str | bytes] = {"style.css": CSS}

    def grid(path: str, title: str, keep: Callable[[Meeting], bool]) -> None:
        depth = path.count("/")
        files[path] = _page(
            title, subtitle, render_week([b for b in blocks if keep(b.meeting)], monday, depth), depth
        )

    grid("week.html", f"{namespace}: every meeting", lambda m: True)
    for team in sorted(set(teams.values())):
        grid(f"teams/{_slug(team)}.html", f"Team {team}", lambda m, t=team: teams.get(m.key) == t)
    for person in people:
        grid(f"people/{_slug(person)}.html", person, lambda m, p=person: p in mailboxes(m))
    for room in rooms:
        grid(f"rooms/{_slug(room)}.html", room, lambda m, r=room: r in mailboxes(m))

    for m in meetings:
        files[f"meetings/{m.key}.html"] = _meeting_page(m, str(sources.get(m.key, "")), now, declines)
        files[f"ics/{m.key}.ics"] = to_ical([m], namespace)

    def links(kind: str, names: Sequence[str]) -> str:
        items = "".join(f'<li><a href="{kind}/{_slug(n)}.html">{escape(n)}</a></li>' for n in names)
        return f"<ul>{items}</ul>"

    index = (
        '<p><a href="week.html">Every meeting this week</a></p>'
        f"<h2>Teams</h2>{links('teams', sorted(set(teams.values())))}<h2>People</h2>{links('people', people)}"
        f"<h2>Rooms</h2>{links('rooms', rooms) if rooms else '<p>none</p>'}"
    )
    files["index.html"] = _page(f"Meetings of {namespace}", subtitle, index, 0)
    return files
