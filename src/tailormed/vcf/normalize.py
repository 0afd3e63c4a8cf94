"""Representation-independent keys for small variants.

Two VCF records can spell the same change differently (extra padding bases, a longer
REF shared with a neighbouring variant, split or joined multiallelic records). We compare
them by a canonical key: trim the common suffix, then the common prefix, of REF and ALT.
For left-aligned input (the VCF norm) this makes equal changes equal keys.

>>> canonical(94781859, "G", "A")
(94781859, 'G', 'A')
>>> canonical(233760233, "CAT", "CATAT") == canonical(233760233, "C", "CAT")
True
>>> canonical(97450065, "TG", "T")
(97450066, 'G', '')
"""

from __future__ import annotations


def canonical(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """``(start, deleted, inserted)`` with shared flanking bases removed."""
    ref = ref.upper()
    alt = alt.upper()
    # common suffix
    while len(ref) > 0 and len(alt) > 0 and ref[-1] == alt[-1] and (len(ref) > 1 or len(alt) > 1):
        ref, alt = ref[:-1], alt[:-1]
    # common prefix
    while len(ref) > 0 and len(alt) > 0 and ref[0] == alt[0]:
        ref, alt = ref[1:], alt[1:]
        pos += 1
    return pos, ref, alt


def span(pos: int, ref: str) -> range:
    """Reference positions a REF allele covers."""
    return range(pos, pos + max(len(ref), 1))
