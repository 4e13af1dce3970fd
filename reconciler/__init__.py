"""Declarative, GitOps-style meeting reconciler for Exchange calendars.

The pipeline: load → validate → model → observe → diff → plan → safety → render → apply.
"""

__version__ = "0.1.0"
