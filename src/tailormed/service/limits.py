"""Caps on request bodies: larger ones get HTTP 413 before they fill memory or a disk.

A pure ASGI middleware. Upload routes (``/api/v1/…/uploads/…`` and the web UI's
``/ui/…/uploads``) may send up to ``max_upload_bytes``; every other route up to
``max_body_bytes`` (JSON is parsed in memory). A declared ``Content-Length`` over the
cap is refused before a byte is read; a body that turns out larger while it streams
(chunked uploads) is cut off at the cap: the middleware answers 413 itself, tells the
app the client went away, and drops whatever the app tries to send after that.

Uploads are also refused with 401 *before* their body is read unless they carry a
token that :func:`tailormed.record.authenticate` accepts (the bearer token; for the web
UI, its session cookie), so strangers cannot make the service spool hundreds of
megabytes (the route checks the token again, as always).
"""

from __future__ import annotations

import json

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tailormed.record import AuthorizationError, authenticate

UPLOAD_MARK = "/uploads/"
UI_PREFIX = "/ui/"
UI_COOKIE = "tm_ui_session"  # tailormed.service.ui.common.AUTH_COOKIE


async def _send_json(send: Send, status: int, error: str, extra: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"error": error}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _is_upload(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    if scope.get("method") != "POST":
        return False
    return UPLOAD_MARK in path or (path.startswith(UI_PREFIX) and path.endswith("/uploads"))


def _bearer(scope: Scope) -> str | None:
    """The bearer token, or for the web UI its session cookie."""
    ui = scope.get("path", "").startswith(UI_PREFIX)
    for name, value in scope.get("headers", ()):
        text: str = bytes(value).decode("latin-1")
        if name == b"authorization":
            scheme, _, token = text.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
        if ui and name == b"cookie":
            for item in text.split(";"):
                key, _, cookie = item.strip().partition("=")
                if key == UI_COOKIE and cookie:
                    return cookie.strip('"')
    return None


async def _token_ok(scope: Scope, token: str) -> bool:
    state = getattr(scope["app"].state, "tailormed", None)
    if state is None:
        return False

    def check() -> bool:
        with state.sessions() as session:
            try:
                authenticate(session, token)
            except AuthorizationError:
                return False
        return True

    return await anyio.to_thread.run_sync(check)


class BodySizeLimit:
    """Refuse request bodies over the cap with ``413 {"error": ...}``."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int, max_body_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self.max_body_bytes = min(max_body_bytes, max_upload_bytes)

    async def _too_large(self, send: Send, cap: int) -> None:
        await _send_json(send, 413, f"request body too large: the limit is {cap / 2**20:g} MiB", [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = _is_upload(scope)
        cap = self.max_upload_bytes if upload else self.max_body_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > cap:
                    await self._too_large(send, cap)
                    return
        if upload:
            token = _bearer(scope)
            if token is None or not await _token_ok(scope, token):
                await _send_json(
                    send, 401, "invalid or missing bearer token", [(b"www-authenticate", b"Bearer")]
                )
                return
        seen = 0
        rejected = False
        started = False

        async def limited_receive() -> Message:
            nonlocal seen, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    rejected = True
                    if not started:
                        await self._too_large(send, cap)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return  # our 413 went out; the app's answer to a cut-off body is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not rejected:
                raise
            # the app failed on the cut-off body (client gone); the 413 has been sent
