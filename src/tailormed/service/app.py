"""The FastAPI application: ``create_app(settings)``.

Startup (the lifespan) removes upload spool folders a killed process left
(:func:`~tailormed.service.spool.sweep_stale`), opens the record with
:func:`tailormed.record.open_database` (engine, Alembic migrations, a check that every
stored value decrypts with the configured keys) and loads the knowledge base once;
shutdown disposes of the engine.

Routes: the REST API under ``/api/v1`` (:mod:`.api_patients`, :mod:`.api_results`,
:mod:`.api_uploads`, :mod:`.api_clinical`, :mod:`.api_documents`, :mod:`.api_access`,
:mod:`.api_digital`), CDS Hooks under
``/cds-services`` (:mod:`.hooks`), the public share page ``/share/{token}``, the web UI
(:mod:`.ui`), ``/healthz``, and the OpenAPI docs at ``/docs``.

Errors are JSON ``{"error": message}``, never a traceback:
:class:`~tailormed.errors.InputError` and invalid requests → 422,
:class:`~tailormed.record.AuthorizationError` / ``ConsentError`` → 403,
:class:`~tailormed.record.NotFoundError` → 404, missing / bad token → 401, bodies over
the caps → 413 (:mod:`.limits`), JSON nested deeper than 64 levels or holding a NUL
character → 422 (:mod:`.jsonguard`), anything unexpected → 500 (logged without request
data).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import tailormed
from tailormed.errors import InputError, TailormedError
from tailormed.knowledge import load_kb
from tailormed.record import (
    AuthorizationError,
    KeyUnavailableError,
    NotFoundError,
    open_database,
    session_factory,
)
from tailormed.service import (
    api_access,
    api_clinical,
    api_digital,
    api_documents,
    api_patients,
    api_rare,
    api_results,
    api_uploads,
    hooks,
    ui,
)
from tailormed.service.auth import ServiceState
from tailormed.service.cds_auth import CdsClients
from tailormed.service.jsonguard import JsonGuard
from tailormed.service.limits import BodySizeLimit
from tailormed.service.settings import Settings
from tailormed.service.spool import sweep_stale

log = logging.getLogger("tailormed.service")
API_PREFIX = "/api/v1"


def _status(exc: TailormedError) -> int:
    if isinstance(exc, InputError):
        return 422
    if isinstance(exc, AuthorizationError):  # ConsentError included
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    return 500


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    """Where and what, never the offending value (it may be PHI or a token)."""
    parts = []
    for err in exc.errors()[:10]:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts)


def _install_error_handlers(app: FastAPI) -> None:
    async def tailormed_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TailormedError)
        status = _status(exc)
        if isinstance(exc, KeyUnavailableError):
            log.error("stored data cannot be decrypted: %s", exc.message)
            return _error(500, "stored data cannot be decrypted; contact the administrator")
        if status == 500:
            log.error("server-side problem: %s", exc.message)
        return _error(status, exc.message)

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _error(422, _validation_message(exc))

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected %s in %s %s", type(exc).__name__, request.method, request.url.path)
        return _error(500, "internal server error")

    app.add_exception_handler(TailormedError, tailormed_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service. ``settings`` default to :meth:`Settings.from_env`."""
    config = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        clients = CdsClients.load(config.cds_clients_file) if config.cds_clients_file else None
        sweep_stale(config.upload_dir)  # spool folders of uploads a killed process left
        engine = open_database(config.database_url, keyring=config.keyring)
        try:
            app.state.tailormed = ServiceState(
                settings=config,
                engine=engine,
                sessions=session_factory(engine),
                kb=load_kb(),
                cds_clients=clients,
            )
            yield
        finally:
            app.state.tailormed = None
            engine.dispose()

    app = FastAPI(
        title="Tailormed",
        version=tailormed.__version__,
        summary="Pharmacogenomics at the point of care: REST API and CDS Hooks 2.0",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    _install_error_handlers(app)
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Purpose"],
        )
    app.add_middleware(JsonGuard)  # inside the size cap: it buffers what the cap let in
    app.add_middleware(
        BodySizeLimit,
        max_upload_bytes=config.max_upload_bytes,
        max_body_bytes=config.max_body_bytes,
    )

    for module in (
        api_patients,
        api_results,
        api_uploads,
        api_clinical,
        api_documents,
        api_access,
        api_digital,
        api_rare,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(api_access.public)
    app.include_router(hooks.router)
    app.include_router(ui.router)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        """Liveness (no login, no data): the service is up."""
        return {"status": "ok", "version": tailormed.__version__}

    return app
