"""The service fixtures (svc) of tests/service, for the end-to-end oncology tests."""

from tests.service.conftest import backend, db_url, keyring, svc  # noqa: F401
