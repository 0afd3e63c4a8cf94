"""Sibling knowledge bundles: the clinical domains' knowledge beside the PGx bundle.

Each domain (``cardio``, ``oncology``, ``rare``, ``digital``) compiles its sources from the
source tree into its own file ``knowledge/data/<name>.json.gz`` with its own version, and is
listed in the same ``manifest.json`` under ``"bundles"``. PGx commands never load them: a
domain loads only its own bundle, on first use, through :func:`load_bundle`.

A domain registers its compiler in :data:`REGISTRY` (a dotted ``module:function`` path, so
that nothing is imported until a build asks for it). The compiler lives in this package
(``tailormed.knowledge.<domain>``), because the knowledge package depends on nothing else of
Tailormed, and returns a :class:`CompiledBundle`: a JSON-serialisable payload plus the
provenance of every source it read (:func:`source_record`). :func:`build_bundle` checks,
versions and writes it atomically; it never leaves a half-written bundle.

The version of a bundle is ``<base version>+<first 10 hex digits of the content's sha256>``,
so two builds of the same sources give the same version and any change gives a new one.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tailormed.atomic import write_atomic
from tailormed.errors import KnowledgeError

BUNDLE_SCHEMA = 1
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True, slots=True)
class BundleSpec:
    """A sibling bundle: its name, what it holds and where its compiler is."""

    name: str
    description: str
    compiler: str  # "tailormed.knowledge.<domain>:compile_bundle"

    @property
    def filename(self) -> str:
        return f"{self.name}.json.gz"


# The domains' bundles: one line each.
_SPECS: tuple[BundleSpec, ...] = (
    BundleSpec(
        "oncology",
        "somatic evidence (CIViC), OncoTree, FDA approvals, resistance, ctDNA rules",
        "tailormed.knowledge.oncology:compile_bundle",
    ),
    BundleSpec(
        "cardio",
        "Cardiovascular risk: PREVENT and PCE equations, FH variants, dyslipidemia thresholds",
        "tailormed.knowledge.cardio:compile_bundle",
    ),
    BundleSpec(
        "rare",
        "HPO term graph, disease annotations, gene links and gene coordinates",
        "tailormed.knowledge.rare:compile_bundle",
    ),
    BundleSpec(
        "digital",
        "care rules, PHQ-9/GAD-7, Open mHealth schemas",
        "tailormed.knowledge.digital:compile_bundle",
    ),
)

REGISTRY: dict[str, BundleSpec] = {spec.name: spec for spec in _SPECS}


def register(spec: BundleSpec) -> BundleSpec:
    if spec.name in REGISTRY or spec.name == "pgx":
        raise KnowledgeError(f"bundle {spec.name!r} is registered twice")
    REGISTRY[spec.name] = spec
    return spec


@dataclass(frozen=True, slots=True)
class CompiledBundle:
    """What a domain compiler returns.

    ``payload``: JSON-serialisable content (the domain's loader reads it back).
    ``base_version``: the sources' own version (e.g. ``"hpo-2025-01-16"``).
    ``sources``: one :func:`source_record` per source read. ``counts``: what was compiled.
    ``notes``: known gaps, shown by ``tailormed kb info`` and carried into results.
    """

    payload: Mapping[str, Any]
    base_version: str
    sources: tuple[Mapping[str, Any], ...]
    counts: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def digest(files: list[Path], root: Path) -> str:
    """sha256 over the files' relative names and contents (order-independent input)."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(str(path.relative_to(root)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def source_record(
    root: Path,
    *,
    name: str,
    description: str,
    files: list[Path],
    version: str,
    date: str,
    licence: str,
    commit: str | None = None,
    citation: str | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    """The manifest entry of one source: provenance plus a sha256 of the files read."""
    if not files:
        raise KnowledgeError(f"source {name!r}: no files found", path=root)
    for path in files:
        if not path.is_file():
            raise KnowledgeError(f"source {name!r}: file is missing", path=path)
    common = Path(*Path(files[0]).relative_to(root).parts[:1])
    return {
        "name": name,
        "description": description,
        "path": str(common),
        "version": version,
        "commit": commit,
        "date": date,
        "licence": licence,
        "citation": citation,
        "url": url,
        "sha256": digest(files, root),
        "files": len(files),
    }


def _compiler(spec: BundleSpec) -> Callable[[Path], CompiledBundle]:
    module, _, func = spec.compiler.partition(":")
    fn: Callable[[Path], CompiledBundle] = getattr(importlib.import_module(module), func)
    return fn


def data_dir() -> Path:
    """The package folder holding the bundled knowledge files."""
    from importlib import resources

    return Path(str(resources.files("tailormed.knowledge") / "data"))


def build_bundle(name: str, root: Path, out_dir: Path | None = None) -> dict[str, Any]:
    """Compile bundle ``name`` from the source tree ``root`` into ``out_dir``.

    Returns its manifest section, which is also written into ``out_dir/manifest.json``
    under ``bundles.<name>`` (the rest of that file is kept as it was).
    """
    spec = REGISTRY.get(name)
    if spec is None:
        raise KnowledgeError(f"unknown bundle {name!r}; known: {', '.join(sorted(REGISTRY))}")
    root = root.resolve()
    if not root.is_dir():
        raise KnowledgeError("source folder does not exist", path=root)
    out = out_dir or data_dir()
    compiled = _compiler(spec)(root)
    content = json.dumps(compiled.payload, sort_keys=True, separators=(",", ":")).encode()
    version = f"{compiled.base_version}+{hashlib.sha256(content).hexdigest()[:10]}"
    section = {
        "name": name,
        "description": spec.description,
        "version": version,
        "schema": BUNDLE_SCHEMA,
        "built_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "sources": [dict(s) for s in compiled.sources],
        "counts": dict(compiled.counts),
        "notes": list(compiled.notes),
    }
    document = {"schema": BUNDLE_SCHEMA, "manifest": section, "payload": compiled.payload}
    data = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    packed = gzip.compress(data, compresslevel=9, mtime=0)
    if json.loads(gzip.decompress(packed))["manifest"]["version"] != version:  # pragma: no cover
        raise KnowledgeError("bundle round trip failed", path=out / spec.filename)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / spec.filename, packed)
    manifest_path = out / MANIFEST_NAME
    manifest: dict[str, Any] = {}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest.setdefault("bundles", {})[name] = section
    write_atomic(manifest_path, (json.dumps(manifest, indent=2) + "\n").encode())
    return section


@dataclass(frozen=True, slots=True)
class Bundle:
    """A loaded sibling bundle: its manifest section and payload (read-only)."""

    name: str
    version: str
    manifest: Mapping[str, Any]
    payload: Mapping[str, Any]
    origin: str

    def source(self, name: str) -> Mapping[str, Any]:
        for s in self.manifest["sources"]:
            if s["name"] == name:
                return MappingProxyType(s)
        raise KnowledgeError(f"bundle {self.name} has no source {name!r}", path=self.origin)


@cache
def load_bundle(name: str, path: str | None = None) -> Bundle:
    """Load (once per process) the bundled ``name`` bundle, or the file at ``path``."""
    spec = REGISTRY.get(name)
    if spec is None and path is None:
        raise KnowledgeError(f"unknown bundle {name!r}; known: {', '.join(sorted(REGISTRY))}")
    file = Path(path) if path else data_dir() / (spec.filename if spec else "")
    if not file.is_file():
        raise KnowledgeError(
            f"the {name} knowledge bundle is not built: run `tailormed kb build --bundle {name}`",
            path=file,
        )
    try:
        document = json.loads(gzip.decompress(file.read_bytes()))
    except (OSError, ValueError) as exc:
        raise KnowledgeError(f"cannot read bundle ({exc})", path=file) from None
    if document.get("schema") != BUNDLE_SCHEMA:
        raise KnowledgeError(
            f"bundle schema {document.get('schema')!r}, this Tailormed reads {BUNDLE_SCHEMA}",
            path=file,
        )
    section = document["manifest"]
    if section.get("name") != name:
        raise KnowledgeError(f"file holds bundle {section.get('name')!r}, not {name!r}", path=file)
    return Bundle(
        name=name,
        version=section["version"],
        manifest=MappingProxyType(section),
        payload=MappingProxyType(document["payload"]),
        origin=str(file),
    )


def bundled_sections() -> dict[str, Mapping[str, Any]]:
    """Manifest sections of the sibling bundles listed in the bundled manifest.json."""
    path = data_dir() / MANIFEST_NAME
    if not path.exists():
        return {}
    bundles: dict[str, Mapping[str, Any]] = json.loads(path.read_text(encoding="utf-8")).get(
        "bundles", {}
    )
    return bundles
