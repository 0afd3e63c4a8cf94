"""Shared CLI plumbing: consoles, error handling, locating the source data."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from tailormed.errors import TailormedError

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def default_source_dir() -> Path:
    """``$TAILORMED_SOURCE``, else ``shared/data`` beside the checkout or the working dir."""
    env = os.environ.get("TAILORMED_SOURCE")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for base in (Path.cwd(), *here.parents):
        candidate = base.parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return Path("../shared/data")


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a TailormedError into ``error: <where>: <problem>`` and exit status 1."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except TailormedError as exc:
            # soft_wrap: one line (the terminal folds it), so paths copy whole
            err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper
