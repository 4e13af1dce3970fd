"""Meeting files: load (YAML with positions, defaults, groups) → validate → canonical models."""
