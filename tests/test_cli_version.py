"""``tailormed --version`` prints the program and knowledge-base versions."""

from __future__ import annotations

from typer.testing import CliRunner

from tailormed import __version__
from tailormed.cli.main import app
from tailormed.knowledge import KnowledgeBase


def test_version_flag(kb: KnowledgeBase) -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert f"tailormed {__version__}" in result.output
    assert kb.version in result.output
