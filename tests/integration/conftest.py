"""Fixtures of the integration tests that feed the bus: a partner of its own per test (so streams of
earlier tests never mix in) and its directory's database."""
import uuid

import pytest

from samen030.directory.tables import metadata as directory_metadata


@pytest.fixture
def partner():
    return f"p{uuid.uuid4().hex[:12]}"


@pytest.fixture
def directory_db(databases, partner):
    return databases.open(partner, "directory", directory_metadata)
