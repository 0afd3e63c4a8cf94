"""The service fixtures (svc) of tests/service, reused here."""

from tests.service.conftest import backend, db_url, keyring, svc  # noqa: F401
