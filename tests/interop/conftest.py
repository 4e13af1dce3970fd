"""The interoperability tests reuse the end-to-end harness: `reconciler sandbox serve` in its own process."""

from tests.e2e.conftest import served  # noqa: F401  (the fixture)
