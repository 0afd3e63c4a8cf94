"""A toy domain compiler for the sibling-bundle tests."""

from __future__ import annotations

import json
from pathlib import Path

from tailormed.knowledge.bundles import CompiledBundle, source_record


def compile_bundle(root: Path) -> CompiledBundle:
    files = sorted((root / "toy").glob("*.json"))
    terms = [json.loads(p.read_text()) for p in files]
    return CompiledBundle(
        payload={"terms": terms},
        base_version="toy-1",
        sources=(
            source_record(
                root,
                name="toy-terms",
                description="toy terms",
                files=files,
                version="1",
                date="2026-12-03",
                licence="CC0",
            ),
        ),
        counts={"terms": len(terms)},
        notes=("toy gap",),
    )
