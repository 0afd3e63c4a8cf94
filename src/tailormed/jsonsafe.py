r"""JSON Tailormed will parse: no deeper than :data:`MAX_DEPTH`, no NUL in any string.

Python's ``json`` module parses recursively, so a document of 100,000 ``[`` ends in a
``RecursionError``; PostgreSQL cannot store NUL (``\u0000``) in text and no clinical text
holds one. :func:`json_problem` finds either with one regular-expression pass (strings
are skipped whole, so brackets inside them do not count) before anything is parsed.
Every reader of user-supplied JSON checks with it first (the service's request bodies,
FHIR bundles, phenopackets, factors files, device data).

>>> json_problem(b"[" * 65 + b"]" * 65)
('JSON nested deeper than 64 levels', 1)
>>> json_problem(b'{"a": "x\\u0000"}')
('text must not contain NUL characters (\\u0000)', 1)
>>> json_problem(b'{"a": "[[[["}') is None
True
"""

from __future__ import annotations

import re

MAX_DEPTH = 64
# a whole JSON string (escapes included), or one bracket
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
# \u0000 preceded by an even number of backslashes (not an escaped backslash + "u0000")
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def json_problem(data: bytes, max_depth: int = MAX_DEPTH) -> tuple[str, int] | None:
    """``(problem, line)`` for JSON nested deeper than ``max_depth`` or holding a NUL."""
    depth = 0
    for match in _TOKEN.finditer(data):
        token = match.group()
        first = token[:1]
        if first == b'"':
            if b"\\u0000" in token and _NUL_ESCAPE.search(token):
                problem = "text must not contain NUL characters (\\u0000)"
                return problem, data.count(b"\n", 0, match.start()) + 1
        elif first in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                problem = f"JSON nested deeper than {max_depth} levels"
                return problem, data.count(b"\n", 0, match.start()) + 1
        else:
            depth -= 1
    return None
