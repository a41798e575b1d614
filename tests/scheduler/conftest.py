"""The donations' fixtures, for the jobs about pledges."""

from tests.donations.conftest import make_fund, pledge_money  # noqa: F401 - fixtures
