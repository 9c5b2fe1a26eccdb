"""The attack tests use the services' own integration fixtures (real Redis and Kafka)."""

from tests.integration.ticketing.conftest import make_ticketing

__all__ = ["make_ticketing"]
