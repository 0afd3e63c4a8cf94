"""Reading source files for the knowledge-base build: JSON with errors naming the file."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from tailormed.errors import KnowledgeError


def read_json(path: Path) -> Any:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return json.load(fh)
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise KnowledgeError("source file is missing", path=path) from None
    except (json.JSONDecodeError, UnicodeDecodeError, EOFError, gzip.BadGzipFile, OSError) as exc:
        line = getattr(exc, "lineno", None)
        raise KnowledgeError(f"cannot parse source file ({exc})", path=path, line=line) from None


def require(obj: Any, key: str, path: Path, record: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise KnowledgeError(f"missing field {key!r}", path=path, record=record)
    return obj[key]
