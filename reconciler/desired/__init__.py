"""The desired side: meeting files loaded (YAML with positions, defaults, groups), validated, and built into
canonical models; their schedules expanded. `backends/` holds the other side, what calendars are observed to
hold, and `plan/diff.py` compares the two."""
