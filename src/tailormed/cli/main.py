"""Entry point: assembles the command groups into ``tailormed``."""

from __future__ import annotations

import typer

from tailormed import __version__
from tailormed.cli import call, kb, validate
from tailormed.cli.common import console, handle_errors

app = typer.Typer(
    help="Tailormed: pharmacogenomics from a genome to the point of care.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(kb.app, name="kb")
app.command("call")(call.call_cmd)
app.add_typer(validate.app, name="validate")


@app.command()
def version() -> None:
    """Print the Tailormed and knowledge-base versions."""
    from tailormed.knowledge import load_kb

    console.print(f"tailormed {__version__}, knowledge base {load_kb().version}")


@app.command()
@handle_errors
def demo() -> None:
    """The quick-start job on bundled data: knowledge-base summary and one gene."""
    kb.info_cmd()
    kb.gene_cmd("CYP2C19")


if __name__ == "__main__":  # pragma: no cover
    app()
