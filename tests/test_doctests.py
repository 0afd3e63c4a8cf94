"""Every module's docstring examples run (the architecture asks for runnable examples)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import tailormed

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(tailormed.__path__, prefix="tailormed.")
    if ".migrations" not in m.name and not m.name.endswith("__main__")
)


def _has_examples(module: str) -> bool:
    mod = importlib.import_module(module)
    finder = doctest.DocTestFinder(exclude_empty=True)
    return any(t.examples for t in finder.find(mod))


@pytest.mark.parametrize("module", [m for m in MODULES if _has_examples(m)])
def test_module_doctests(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
