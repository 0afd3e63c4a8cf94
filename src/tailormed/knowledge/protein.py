"""Protein-change notation: HGVS p. (three-letter) ↔ the short form CIViC names variants by.

Used by the oncology bundle compiler (CIViC variant names) and at run time (VEP, snpEff
and MAF annotations), so that both sides are normalised by the same code.

>>> short_protein("p.Leu858Arg")
'L858R'
>>> long_protein("L858R")
'p.Leu858Arg'
>>> short_protein("p.Glu746_Ala750del")
'E746_A750del'
>>> short_protein("p.Trp288fs")
'W288fs'
>>> short_protein("p.Arg273Ter")
'R273*'
>>> short_protein("p.(Val600Glu)")
'V600E'
>>> short_protein("p.=")
>>> codon_of("V600E")
('V', 600)
"""

from __future__ import annotations

import re

THREE_TO_ONE: dict[str, str] = {
    "Ala": "A",
    "Arg": "R",
    "Asn": "N",
    "Asp": "D",
    "Cys": "C",
    "Gln": "Q",
    "Glu": "E",
    "Gly": "G",
    "His": "H",
    "Ile": "I",
    "Leu": "L",
    "Lys": "K",
    "Met": "M",
    "Phe": "F",
    "Pro": "P",
    "Ser": "S",
    "Thr": "T",
    "Trp": "W",
    "Tyr": "Y",
    "Val": "V",
    "Sec": "U",
    "Pyl": "O",
    "Ter": "*",
    "Xaa": "X",
}
ONE_TO_THREE: dict[str, str] = {v: k for k, v in THREE_TO_ONE.items()}

_THREE = re.compile("|".join(sorted(THREE_TO_ONE, key=len, reverse=True)))
_MISSENSE = re.compile(r"^([A-Z*])(\d+)([A-Z*])$")
_CODON = re.compile(r"^([A-Z])(\d+)")
_FS_TAIL = re.compile(r"fs(\*|Ter)?\d*$")


def short_protein(hgvs_p: str | None) -> str | None:
    """``p.Leu858Arg`` → ``L858R`` (None for empty, synonymous ``p.=`` or unknown ``p.?``).

    A reference-sequence prefix (``NP_005219.2:``) and prediction brackets are dropped;
    frameshifts are shortened to ``fs`` (``p.Trp288GlyfsTer12`` → ``W288fs``), as CIViC
    names them.
    """
    if not hgvs_p:
        return None
    text = hgvs_p.strip()
    if ":" in text:
        text = text.rsplit(":", 1)[1]
    if text.startswith("p."):
        text = text[2:]
    text = text.strip("()")
    if not text or text in ("=", "?", "0", "0?") or text.endswith("="):
        return None
    text = _THREE.sub(lambda m: THREE_TO_ONE[m.group(0)], text)
    if "fs" in text:
        head = text.split("fs", 1)[0]
        m = _CODON.match(head)
        return f"{m.group(1)}{m.group(2)}fs" if m else text
    return _FS_TAIL.sub("fs", text)


def long_protein(short: str | None) -> str | None:
    """``L858R`` → ``p.Leu858Arg``: every upper-case residue letter (and ``*``) is expanded;
    the lower-case words (``del``, ``ins``, ``dup``, ``fs``) are kept.

    >>> long_protein("V769_D770insASV")
    'p.Val769_Asp770insAlaSerVal'
    """
    if not short:
        return None
    return "p." + "".join(
        ONE_TO_THREE.get(ch, ch) if ch.isupper() or ch == "*" else ch for ch in short
    )


def missense_parts(short: str) -> tuple[str, int, str] | None:
    """``V600E`` → ``("V", 600, "E")``; None unless a single-residue substitution."""
    m = _MISSENSE.match(short)
    return (m.group(1), int(m.group(2)), m.group(3)) if m else None


def codon_of(short: str | None) -> tuple[str, int] | None:
    """The first residue and position of a short protein change (``V600E`` → ``("V", 600)``)."""
    if not short:
        return None
    m = _CODON.match(short)
    return (m.group(1), int(m.group(2))) if m else None
