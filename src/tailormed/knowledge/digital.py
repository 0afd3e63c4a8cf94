"""The ``digital`` sibling bundle: care rules, questionnaires and Open mHealth schemas.

Sources (each recorded with :func:`~tailormed.knowledge.bundles.source_record`):

- the Open mHealth schemas at commit ``36078a8``
  (``<root>/digital/openmhealth_schemas_omh_*.tar.gz``, Apache-2.0): every concrete
  version of the five accepted schemas (heart-rate, step-count, sleep-duration,
  blood-pressure, body-weight) plus the data-point and header schemas, with every schema
  they reference, so validation needs nothing at run time but this bundle;
- the shared PHQ-9 / PHQ-2 / GAD-7 scoring table (``pro_phq9_gad7_scoring.tsv``): the
  curated questionnaires (``curated/digital/instruments.json``) are checked against its
  LOINC codes and severity cut-points, so the two cannot drift apart;
- the curated care rules, schedules and drug classes (``rules.json``) and observation
  kinds with their units and LOINC codes (``observations.json``).

The loader is :class:`tailormed.knowledge.digital_kb.DigitalKnowledge`.
"""

from __future__ import annotations

import json
import re
import tarfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from tailormed.errors import KnowledgeError
from tailormed.knowledge.bundles import CompiledBundle, source_record

OMH_TYPES = ("heart-rate", "step-count", "sleep-duration", "blood-pressure", "body-weight")
OMH_FRAME = ("data-point", "header")
_VERSIONED = re.compile(r"^schema/omh/([a-z0-9-]+)-(\d+\.\d+)\.json$")
_ANY_VERSION = re.compile(r"^schema/omh/([a-z0-9-]+)-(\d+\.(?:\d+|x))\.json$")
RULE_TYPES = {
    "pro-item-positive",
    "pro-response",
    "baseline-rise",
    "baseline-drop",
    "post-start-drop",
    "schedule-overdue",
}


def curated_dir() -> Path:
    return Path(str(resources.files("tailormed.knowledge") / "curated" / "digital"))


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _omh(root: Path) -> tuple[dict[str, Any], Path, str]:
    found = sorted((root / "digital").glob("openmhealth_schemas_omh_*.tar.gz"))
    if not found:
        raise KnowledgeError("Open mHealth schema archive is missing", path=root / "digital")
    archive = found[-1]
    commit = archive.name.removesuffix(".tar.gz").rsplit("_", 1)[-1]
    schemas: dict[str, Any] = {}
    links: dict[str, str] = {}  # "x" versions are often symbolic links to a release
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            if member.issym() and _ANY_VERSION.match(member.name):
                links[member.name.rsplit("/", 1)[1]] = member.linkname.rsplit("/", 1)[-1]
            elif member.isfile() and _ANY_VERSION.match(member.name):
                fh = tar.extractfile(member)
                if fh is None:  # pragma: no cover
                    continue
                try:
                    schemas[member.name.rsplit("/", 1)[1]] = json.loads(fh.read())
                except ValueError as exc:
                    raise KnowledgeError(f"{member.name}: not JSON ({exc})", path=archive) from None
    for alias, target in links.items():
        if target not in schemas:
            raise KnowledgeError(f"{alias} links to missing {target}", path=archive)
        schemas[alias] = schemas[target]
    accepted: dict[str, list[str]] = {}
    for name in schemas:
        m = _VERSIONED.match(f"schema/omh/{name}")
        if m and m.group(1) in OMH_TYPES + OMH_FRAME:
            accepted.setdefault(m.group(1), []).append(m.group(2))
    for kind in OMH_TYPES + OMH_FRAME:
        if kind not in accepted:
            raise KnowledgeError(f"no {kind} schema in the archive", path=archive)
    omh_base = "https://w3id.org/openmhealth/schemas/omh/"

    def closure(name: str) -> set[str] | None:
        """Every schema ``name`` needs, or None when one lies outside the archive."""
        seen: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            if current not in schemas:
                return None
            seen.add(current)
            for ref in _refs(schemas[current]):
                target = ref.split("#", 1)[0]
                if not target:
                    continue
                if "://" in target:
                    if not target.startswith(omh_base):
                        return None  # e.g. the IEEE 1752.1 schemas: not bundled
                    target = target.removeprefix(omh_base)
                todo.append(target)
        return seen

    # A "M.x" alias whose release needs IEEE 1752.1 schemas is re-pointed to the newest
    # M.y release that is complete within the archive (minor versions are additive).
    repointed: list[str] = []
    for alias in sorted(n for n in schemas if n.endswith(".x.json")):
        if closure(alias) is not None:
            continue
        stem = alias.removesuffix("x.json")
        options = sorted(
            (n for n in schemas if n.startswith(stem) and not n.endswith(".x.json")),
            key=lambda n: int(n.removeprefix(stem).removesuffix(".json")),
            reverse=True,
        )
        for option in options:
            if closure(option) is not None:
                schemas[alias] = schemas[option]
                repointed.append(f"{alias} -> {option}")
                break
    keep: set[str] = set()
    refused: list[str] = []
    for kind in list(accepted):
        for version in list(accepted[kind]):
            needed = closure(f"{kind}-{version}.json")
            if needed is None:
                accepted[kind].remove(version)
                refused.append(f"{kind} {version}")
            else:
                keep |= needed
    versions = {
        k: sorted(v, key=lambda s: tuple(int(p) for p in s.split("."))) for k, v in accepted.items()
    }
    payload = {
        "commit": commit,
        "accepted": {k: versions[k] for k in OMH_TYPES},
        "frame": {k: versions[k] for k in OMH_FRAME},
        "schemas": {name: schemas[name] for name in sorted(keep)},
        "refused": refused,
        "repointed": repointed,
    }
    return payload, archive, commit


def _scoring_table(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    if not path.is_file():
        raise KnowledgeError("PRO scoring table is missing", path=path)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        cells += [""] * (len(header) - len(cells))
        row = dict(zip(header, cells, strict=True))
        if not row.get("instrument"):
            raise KnowledgeError("row without an instrument", path=path, line=number)
        rows[(row["instrument"], row["element"])] = row
    return rows


def _check_instruments(instruments: dict[str, Any], table_path: Path, cur: Path) -> None:
    """The curated questionnaires must agree with the shared scoring table."""
    table = _scoring_table(table_path)
    where = cur / "instruments.json"
    by_id = {i["id"]: i for i in instruments["instruments"]}
    phq9 = by_id["PHQ-9"]
    for item in phq9["items"]:
        row = next(
            (
                r
                for (ins, el), r in table.items()
                if ins == "PHQ-9" and el.startswith(f"item{item['n']} ")
            ),
            None,
        )
        if row is None or row["loinc"] != item["code"]:
            raise KnowledgeError(
                f"PHQ-9 item {item['n']} code {item['code']} disagrees with the scoring table",
                path=where,
            )
    expected = {"PHQ-9": ("44261-6", [5, 10, 15, 20]), "GAD-7": ("70274-6", [5, 10, 15])}
    for ins, (code, cuts) in expected.items():
        row = table.get((ins, "total score"))
        if row is None or row["loinc"] != code or by_id[ins]["total"]["code"] != code:
            raise KnowledgeError(f"{ins} total code disagrees with the scoring table", path=where)
        mins = [b["min"] for b in by_id[ins]["bands"]][1:]
        if mins != cuts or not all(f"{c}-" in row["rule"] for c in cuts):
            raise KnowledgeError(f"{ins} severity cut-points disagree with the table", path=where)
    phq2 = table.get(("PHQ-2", "total score"))
    if phq2 is None or phq2["loinc"] != by_id["PHQ-2"]["total"]["code"]:
        raise KnowledgeError("PHQ-2 total code disagrees with the scoring table", path=where)
    if "55757-9" not in phq2["source_status"] or by_id["PHQ-2"]["panel"]["code"] != "55757-9":
        raise KnowledgeError("PHQ-2 panel code disagrees with the scoring table", path=where)


def _check_rules(rules: dict[str, Any], instruments: dict[str, Any], path: Path) -> None:
    ids = {i["id"] for i in instruments["instruments"]}
    classes = {k for k in rules["drug_classes"] if not k.startswith("_")}
    seen: set[str] = set()
    for rule in rules["rules"]:
        rid = rule.get("id", "?")
        if rid in seen:
            raise KnowledgeError(f"rule {rid} is defined twice", path=path)
        seen.add(rid)
        for key in ("type", "title", "severity", "params", "published", "basis", "citation"):
            if key not in rule:
                raise KnowledgeError(f"rule {rid} has no {key!r}", path=path)
        if rule["type"] not in RULE_TYPES:
            raise KnowledgeError(f"rule {rid}: unknown type {rule['type']!r}", path=path)
        if not rule["published"] and "local rule" not in rule["basis"]:
            raise KnowledgeError(f"rule {rid} must say it is a local rule", path=path)
        params = rule["params"]
        if params.get("instrument") and params["instrument"] not in ids:
            raise KnowledgeError(f"rule {rid}: unknown instrument", path=path)
        if params.get("drug_class") and params["drug_class"] not in classes:
            raise KnowledgeError(f"rule {rid}: unknown drug class", path=path)
    for schedule in rules["schedules"]:
        if schedule["instrument"] not in ids:
            raise KnowledgeError(f"schedule {schedule['id']}: unknown instrument", path=path)
        if schedule["trigger"]["drug_class"] not in classes:
            raise KnowledgeError(f"schedule {schedule['id']}: unknown drug class", path=path)


def compile_bundle(root: Path) -> CompiledBundle:
    """Compile the digital bundle from the source tree ``root`` (the project's shared data)."""
    cur = curated_dir()
    omh, archive, commit = _omh(root)
    table = root / "digital" / "pro_phq9_gad7_scoring.tsv"
    instruments = json.loads((cur / "instruments.json").read_text(encoding="utf-8"))
    _check_instruments(instruments, table, cur)
    rules = json.loads((cur / "rules.json").read_text(encoding="utf-8"))
    _check_rules(rules, instruments, cur / "rules.json")
    observations = json.loads((cur / "observations.json").read_text(encoding="utf-8"))
    payload = {
        "omh": omh,
        "instruments": instruments,
        "rules": rules,
        "observations": observations,
    }
    curated_files = sorted(p for p in cur.iterdir() if p.is_file())
    sources = (
        source_record(
            root,
            name="openmhealth-schemas",
            description="Open mHealth JSON Schemas (accepted types, data point, header)",
            files=[archive],
            version=f"omh@{commit}",
            date="2024-08-17",
            licence="Apache-2.0",
            commit=f"openmhealth/schemas@{commit}",
            url="https://github.com/openmhealth/schemas",
        ),
        source_record(
            root,
            name="pro-scoring",
            description="PHQ-9 / PHQ-2 / GAD-7 items, LOINC codes and severity bands",
            files=[table],
            version="1",
            date="2026",
            licence="PHQ-9/GAD-7 free to use",
            citation="Kroenke 2001 (PHQ-9); Kroenke 2003 (PHQ-2); Spitzer 2006 (GAD-7)",
        ),
        source_record(
            cur.parent.parent,
            name="tailormed-curated-digital",
            description="questionnaires, care rules, schedules, drug classes, observation codes",
            files=curated_files,
            version=str(rules["version"]),
            date="2026-12",
            licence="MPL-2.0",
            citation="Tailormed curation; each rule carries its own citation",
        ),
    )
    counts = {
        "omh_schemas": len(omh["schemas"]),
        "omh_versions": sum(len(v) for v in omh["accepted"].values()),
        "instruments": len(instruments["instruments"]),
        "rules": len(rules["rules"]),
        "local_rules": sum(1 for r in rules["rules"] if not r["published"]),
        "schedules": len(rules["schedules"]),
    }
    accepted = "; ".join(f"{k} {', '.join(v)}" for k, v in omh["accepted"].items())
    notes = (
        f"Open mHealth schemas accepted (omh@{commit}): {accepted}",
        "Open mHealth versions not accepted (they reference IEEE 1752.1 schemas that are "
        f"not in the archive): {', '.join(omh['refused']) or 'none'}",
        "Open mHealth 'x' aliases re-pointed to the newest release complete without IEEE "
        f"1752.1 schemas: {'; '.join(omh['repointed']) or 'none'}",
        "Local rules (hr-rise, activity-drop, statin-activity-drop, pro-overdue) are not "
        "published thresholds",
        "Crisis resources are for the United States (988) and must be localised",
    )
    return CompiledBundle(
        payload=payload,
        base_version=f"digital-{rules['version']}-omh-{commit}",
        sources=sources,
        counts=counts,
        notes=notes,
    )
