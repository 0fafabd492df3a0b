import pytest
from django.db import connection

from tests.conftest import skip_or_fail


@pytest.fixture
def postgres(transactional_db: None) -> None:
    """Concurrency tests need real row locks: PostgreSQL (SQLite serialises every writer)."""
    if connection.vendor != "postgresql":
        skip_or_fail(
            "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/coproduce_test"
        )
