"""The exports tests use the hours export's world."""

from tests.hours.test_export import w  # noqa: F401 - the fixture
