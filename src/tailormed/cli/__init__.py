"""The ``tailormed`` command line: thin commands that parse, call the stages and print.

Each command group is its own module; ``main.app`` assembles them. Every
:class:`~tailormed.errors.TailormedError` becomes one readable line and a non-zero exit.
"""
