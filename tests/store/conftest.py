"""Fixtures for the warehouse tests; builders live in store_testkit (a unique module name, so
other test folders' conftest modules never shadow it)."""

from store_testkit import db  # noqa: F401  (fixture)
