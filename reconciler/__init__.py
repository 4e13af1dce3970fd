"""Declarative, GitOps-style meeting reconciler for Exchange calendars.

The pipeline: load → validate → model → observe → diff → plan → safety → render → apply.
"""

__version__ = "0.1.0"

REPOSITORY = "meeting-reconciler/reconciler"
"""The project's GitHub repository (owner/name): `reconciler init` pins its composite action and hook here;
pyproject.toml's project URLs name the same place (a test keeps them in step)."""
