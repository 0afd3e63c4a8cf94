"""Seeded fuzzing of the bundled example VCF: no silently wrong answer (issue 8, "Done when").

Each case corrupts ``src/tailormed/examples/example-patient.vcf`` one way (duplicated and
conflicting records, a multiallelic site split inconsistently, bad ploidy, corrupted GT,
REF or POS, encodings, truncation, lost lines) and calls it. Every case must end in one of:

* an :class:`InputError` whose message is one line naming the file and the line (or the
  record, where the problem is in the header or a binary file);
* calls equal to the original's;
* changes only in genes whose call is a no-call or carries a warning the original call
  did not (the explanation of the change).

Anything else - another exception, a changed call without a new warning - fails. Only
the genes a mutation can reach are called (plus every gene for one case in eight), to
keep the 320 cases fast.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tailormed.calling import CallOptions, call_files
from tailormed.calling.caller import panel_for
from tailormed.calling.models import GeneCall
from tailormed.errors import InputError
from tailormed.knowledge import KnowledgeBase, load_kb
from tailormed.pipeline import example_path

SEED = 20260805
CASES = 320
ALL_GENES_EVERY = 8
INVALID_GT = ["0/1/1", "+1/0", "00/1", "0/3", "0/x", "", "0//1", "-1/0", "0|1|0", "0/1 ", "1/"]

Text = list[bytes]  # the file's lines, each with its b"\n"


@dataclass(frozen=True)
class Mutation:
    kind: str
    lines: Text
    positions: tuple[tuple[str, int], ...] = ()  # (chrom, pos) the mutation touches
    cut: bool = False  # the file was cut short: every later gene may change


def _fields(line: bytes) -> list[bytes]:
    return line.rstrip(b"\n").split(b"\t")


def _join(fields: list[bytes]) -> bytes:
    return b"\t".join(fields) + b"\n"


def _where(line: bytes) -> tuple[str, int]:
    f = _fields(line)
    return f[0].decode(), int(f[1])


class Fuzzer:
    def __init__(self, lines: Text, rng: random.Random) -> None:
        self.lines = lines
        self.rng = rng
        self.header = sum(1 for line in lines if line.startswith(b"#"))
        data = range(self.header, len(lines))
        self.data = list(data)
        self.carriers = [i for i in data if _fields(lines[i])[9] != b"0/0"]

    def pick(self, among: list[int] | None = None) -> int:
        return self.rng.choice(among or self.data)

    def edit(self, i: int, column: int, value: bytes, kind: str) -> Mutation:
        lines = list(self.lines)
        fields = _fields(lines[i])
        fields[column] = value
        lines[i] = _join(fields)
        return Mutation(kind, lines, (_where(self.lines[i]),))

    # ------------------------------------------------------------------ mutations

    def duplicate(self) -> Mutation:
        i = self.pick()
        lines = list(self.lines)
        lines.insert(i + 1, lines[i])
        return Mutation("duplicate", lines, (_where(lines[i]),))

    def conflicting_duplicate(self) -> Mutation:
        i = self.pick(self.carriers if self.rng.random() < 0.5 else None)
        fields = _fields(self.lines[i])
        other = self.rng.choice([g for g in (b"0/0", b"0/1", b"1/1") if g != fields[9]])
        lines = list(self.lines)
        lines.insert(i + 1, _join([*fields[:9], other]))
        return Mutation("conflicting duplicate", lines, (_where(self.lines[i]),))

    def split_inconsistently(self) -> Mutation:
        """A split record naming another ALT on top of a carrier's own ALT(s)."""
        i = self.pick(self.carriers)
        fields = _fields(self.lines[i])
        taken = {fields[3], *fields[4].split(b",")}
        alt = self.rng.choice([b for b in (b"A", b"C", b"G", b"T") if b not in taken])
        extra = [*fields[:4], alt, *fields[5:9], b"1/1"]
        lines = list(self.lines)
        lines.insert(i + 1, _join(extra))
        return Mutation("split inconsistently", lines, (_where(self.lines[i]),))

    def bad_ploidy(self) -> Mutation:
        i = self.pick()
        chrom, _ = _where(self.lines[i])
        choices = [b"0/1/1", b"0/0/0", b"1/1/1/1"] + ([] if chrom == "chrX" else [b"1", b"0"])
        return self.edit(i, 9, self.rng.choice(choices), "bad ploidy")

    def corrupt_gt(self) -> Mutation:
        return self.edit(self.pick(), 9, self.rng.choice(INVALID_GT).encode(), "corrupt GT")

    def corrupt_ref(self) -> Mutation:
        i = self.pick()
        ref = _fields(self.lines[i])[3]
        value = self.rng.choice(
            [b"N", b"X", ref.lower(), b"", b"ACGTN"[self.rng.randrange(5) :][:1] + ref[1:]]
        )
        return self.edit(i, 3, value, "corrupt REF")

    def corrupt_pos(self) -> Mutation:
        i = self.pick()
        _, pos = _where(self.lines[i])
        value = self.rng.choice(
            [b"abc", b"-5", b"0", b"99999999999999", b"", b"12x"]
            + [str(pos + self.rng.choice([-1, 1, 2, 10, 500, -500])).encode()] * 4
        )
        mutation = self.edit(i, 1, value, "corrupt POS")
        if value.isdigit():  # a moved record touches its new position too
            moved = (_where(self.lines[i])[0], int(value))
            return Mutation(mutation.kind, mutation.lines, (*mutation.positions, moved))
        return mutation

    def encoding(self) -> Mutation:
        lines = list(self.lines)
        choice = self.rng.randrange(6)
        if choice == 0:  # a Latin-1 sample name
            lines[self.header - 1] = lines[self.header - 1].replace(b"Sample_2", b"Sampl\xe9_2")
            return Mutation("latin-1 sample name", lines)
        if choice == 1:  # a byte-order mark
            lines[0] = b"\xef\xbb\xbf" + lines[0]
            return Mutation("BOM", lines)
        if choice == 2:  # Windows line ends
            return Mutation("CRLF", [line.replace(b"\n", b"\r\n") for line in lines])
        if choice == 3:  # the whole file in UTF-16
            text = b"".join(lines).decode("utf-8").encode("utf-16")
            return Mutation("UTF-16", [text])
        i = self.pick()
        if choice == 4:  # a Latin-1 byte in the ID column
            return self.edit(i, 2, b"rs\xb5", "latin-1 ID")
        return self.edit(i, 9, b"0/\x001", "NUL in GT")

    def truncate(self) -> Mutation:
        data = b"".join(self.lines)
        at = self.rng.randrange(1, len(data))
        cut = data[:at]
        kept = cut.splitlines(keepends=True)
        return Mutation("truncated", kept, cut=True)

    def lose_line(self) -> Mutation:
        i = self.pick()
        lines = list(self.lines)
        del lines[i]
        return Mutation("line lost", lines, (_where(self.lines[i]),))

    def kinds(self) -> list[Callable[[], Mutation]]:
        return [
            self.duplicate,
            self.conflicting_duplicate,
            self.split_inconsistently,
            self.bad_ploidy,
            self.corrupt_gt,
            self.corrupt_ref,
            self.corrupt_pos,
            self.encoding,
            self.truncate,
            self.lose_line,
        ]


@dataclass(frozen=True)
class Original:
    lines: Text
    sample: str
    calls: dict[str, GeneCall]
    windows: dict[str, tuple[str, int, int]]  # gene -> (chrom, lo, hi) read by the caller

    def genes_at(self, positions: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
        return tuple(
            g
            for g, (chrom, lo, hi) in self.windows.items()
            if any(c == chrom and lo - 1000 <= p <= hi + 1000 for c, p in positions)
        )


@pytest.fixture(scope="module")
def original() -> Original:
    kb = load_kb()
    path = example_path("example-patient.vcf")
    cs = call_files([path], kb, CallOptions())
    (sample,) = cs.samples
    windows = {}
    for gene in cs.genes:
        panel = panel_for(kb.gene(gene))
        positions = [v.position for v in panel.variants]
        windows[gene] = (panel.chrom, min(positions) - 60, max(positions) + 60)
    lines = path.read_bytes().splitlines(keepends=True)
    return Original(lines, sample, {g: cs.call(sample, g) for g in cs.genes}, windows)


def _genes_for(case: int, mutation: Mutation, original: Original) -> tuple[str, ...]:
    every = tuple(original.calls)
    if case % ALL_GENES_EVERY == 0:
        return every
    if not mutation.positions and not mutation.cut:  # header or whole-file changes
        return ("CYP2C19", "G6PD")
    if mutation.cut:
        last = [_where(x) for x in mutation.lines if not x.startswith(b"#") and _ok(x)]
        if not last:
            return ("CYP2C19",)
        reached = original.genes_at(last[-1:])
        later = [g for g in every if g not in reached]
        return tuple(dict.fromkeys([*reached, *later[:1]])) or ("CYP2C19",)
    return original.genes_at(mutation.positions) or ("CYP2C19",)


def _ok(line: bytes) -> bool:
    try:
        _where(line)
    except (ValueError, IndexError, UnicodeDecodeError):
        return False
    return True


def _check_error(exc: InputError, path: Path) -> None:
    message = str(exc)
    assert "\n" not in message and "\r" not in message, message
    assert path.name in message, message
    assert exc.line is not None or exc.record is not None, message


def _check_calls(got: dict[str, GeneCall], original: Original, kind: str) -> None:
    for gene, call in got.items():
        before = original.calls[gene]
        same = (
            call.diplotypes == before.diplotypes
            and call.function_diplotype == before.function_diplotype
        )
        if same:
            continue
        explained = not call.called or bool(set(call.warnings) - set(before.warnings))
        assert explained, (
            f"{kind}: {gene} changed from {before.diplotype} to {call.diplotype} "
            f"without a new warning ({call.warnings})"
        )


@pytest.mark.parametrize("case", range(CASES))
def test_fuzzed_example_vcf(
    case: int, original: Original, kb: KnowledgeBase, tmp_path: Path
) -> None:
    rng = random.Random(SEED * 1000 + case)
    fuzzer = Fuzzer(original.lines, rng)
    kinds = fuzzer.kinds()
    mutation = kinds[case % len(kinds)]()
    path = tmp_path / f"case{case}.vcf"
    path.write_bytes(b"".join(mutation.lines))
    genes = _genes_for(case, mutation, original)
    try:
        cs = call_files([path], kb, CallOptions(genes=genes))
    except InputError as exc:
        _check_error(exc, path)
        return
    if not cs.samples:
        return
    sample = cs.samples[0]
    _check_calls({g: cs.call(sample, g) for g in genes}, original, mutation.kind)


def test_every_kind_of_mutation_is_exercised(original: Original) -> None:
    fuzzer = Fuzzer(original.lines, random.Random(SEED))
    assert len(fuzzer.kinds()) == 10 and CASES >= 300
