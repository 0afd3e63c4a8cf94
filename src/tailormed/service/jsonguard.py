"""JSON the service will parse: no deeper than :data:`MAX_DEPTH`, no NUL in any string.

Python's ``json`` module parses recursively, so a body of 100,000 ``[`` ends in a
``RecursionError``; PostgreSQL cannot store NUL (``\\u0000``) in text and no clinical text
holds one. :func:`json_problem` finds either with one regular-expression pass (strings
are skipped whole, so brackets inside them do not count) before anything is parsed;
:class:`JsonGuard` applies it to every JSON request body (422), and the FHIR upload
route to the uploaded bundle (an :class:`~tailormed.errors.InputError` naming the line).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tailormed.jsonsafe import MAX_DEPTH, json_problem

__all__ = ["MAX_DEPTH", "JsonGuard", "json_problem"]


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = bytes(value).split(b";")[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


class JsonGuard:
    """Refuse JSON request bodies :func:`json_problem` objects to, with 422."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # client gone
                await self.app(scope, _replay([], message), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        found = json_problem(body)
        if found is not None:
            problem, line = found
            payload = json.dumps({"error": f"request body, line {line}: {problem}"}).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ]
            await send({"type": "http.response.start", "status": 422, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            return
        await self.app(scope, _replay([body], None, receive), send)


def _replay(bodies: list[bytes], last: Message | None, receive: Receive | None = None) -> Receive:
    """A ``receive`` that hands the app the buffered body, then defers to the real one."""
    pending = [{"type": "http.request", "body": b, "more_body": False} for b in bodies] + (
        [last] if last else []
    )

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        if receive is None:
            return {"type": "http.disconnect"}
        return await receive()

    return replay
