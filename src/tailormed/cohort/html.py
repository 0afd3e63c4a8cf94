"""``summary.html``: one self-contained page (inline CSS, inline SVG, no script)."""

from __future__ import annotations

from html import escape
from typing import Any

CATEGORY_COLOURS = (
    ("named", "#4c78a8"),
    ("no function assigned", "#f2b701"),
    ("unmatched", "#e45756"),
    ("not covered", "#9d9d9d"),
)

CSS = """
body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}
h3{font-size:15px;margin:14px 0 4px}
table{border-collapse:collapse;font-size:12px;margin:6px 0}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:flex;flex-wrap:wrap;gap:18px}.card{border:1px solid #e3e3e3;padding:8px}
.note{color:#555;font-size:12px}.legend span{display:inline-block;margin-right:12px;font-size:12px}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px}
"""


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def _cell(s: dict[str, Any]) -> str:
    lo, hi = s["ci95"]
    return (
        f"{_pct(s['share'])} <span class='note'>({100 * lo:.1f}–{100 * hi:.1f})"
        f" {s['count']}/{s['n']}</span>"
    )


def _label(group: str) -> str:
    return group.split(":", 1)[-1] if ":" in group else "all samples"


def ci_bars(rows: list[tuple[str, dict[str, Any]]], title: str) -> str:
    """Horizontal bars (share) with 95 % interval whiskers, one row per group."""
    width, left, row_h = 560, 150, 18
    height = 30 + row_h * len(rows)
    plot = width - left - 20
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"role='img' aria-label='{escape(title)}'>",
        f"<text x='0' y='14' font-size='12' font-weight='bold'>{escape(title)}</text>",
    ]
    for k in range(0, 101, 25):
        x = left + plot * k / 100
        parts.append(
            f"<line x1='{x:.1f}' y1='20' x2='{x:.1f}' y2='{height - 4}' stroke='#eee'/>"
            f"<text x='{x:.1f}' y='{height}' font-size='9' text-anchor='middle'>{k}%</text>"
        )
    for i, (label, s) in enumerate(rows):
        y = 22 + i * row_h
        value = s["share"] or 0.0
        lo, hi = s["ci95"]
        parts.append(
            f"<text x='{left - 6}' y='{y + 12}' font-size='11' text-anchor='end'>"
            f"{escape(label)}</text>"
            f"<rect x='{left}' y='{y + 3}' width='{plot * value:.1f}' height='{row_h - 6}' "
            f"fill='#4c78a8'><title>{escape(label)}: {_pct(value)} (95 % CI "
            f"{100 * lo:.1f}–{100 * hi:.1f} %, n={s['n']})</title></rect>"
            f"<line x1='{left + plot * lo:.1f}' y1='{y + row_h / 2}' x2='{left + plot * hi:.1f}' "
            f"y2='{y + row_h / 2}' stroke='#222'/>"
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked(rows: list[tuple[str, dict[str, Any]]], title: str) -> str:
    """100 % stacked bars of haplotype categories, one row per group."""
    width, left, row_h = 380, 90, 16
    height = 24 + row_h * len(rows)
    plot = width - left - 10
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img' "
        f"aria-label='{escape(title)}'>",
        f"<text x='0' y='13' font-size='12' font-weight='bold'>{escape(title)}</text>",
    ]
    for i, (label, cats) in enumerate(rows):
        y = 18 + i * row_h
        x = float(left)
        parts.append(
            f"<text x='{left - 4}' y='{y + 11}' font-size='10' text-anchor='end'>"
            f"{escape(label)}</text>"
        )
        for name, colour in CATEGORY_COLOURS:
            s = cats.get(name)
            if not s or not s["share"]:
                continue
            w = plot * s["share"]
            lo, hi = s["ci95"]
            parts.append(
                f"<rect x='{x:.1f}' y='{y + 2}' width='{w:.1f}' height='{row_h - 4}' "
                f"fill='{colour}'><title>{escape(label)} {escape(name)}: {_pct(s['share'])} "
                f"(95 % CI {100 * lo:.1f}–{100 * hi:.1f} %, {s['count']}/{s['n']})</title></rect>"
            )
            x += w
    parts.append("</svg>")
    return "".join(parts)


def _table(head: list[str], rows: list[list[str]]) -> str:
    h = "".join(f"<th>{escape(x)}</th>" for x in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{h}</tr>{body}</table>"


def render(summary: dict[str, Any]) -> str:
    eq = summary["equity"]
    groups = [g["group"] for g in eq["groups"]]
    top_groups = [g for g in groups if not g.startswith("population:")]
    has_pops = any(g.startswith("population:") for g in groups)
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Tailormed cohort summary</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Tailormed cohort summary</h1>",
        f"<p>{summary['samples']:,} samples × {len(summary['genes'])} genes, "
        f"{summary['partitions']} partitions in {summary['seconds']} s; knowledge base "
        f"<code>{escape(summary['kb_version'])}</code>, Tailormed {escape(summary['tailormed'])}; "
        f"input: {escape(summary['input_kind'])} ({len(summary['inputs'])} file(s)).</p>",
        "<p class='note'>Research summary of a cohort run: not a clinical report. Tables: "
        "<code>calls.parquet</code> (sample × gene) and <code>drugs.parquet</code> "
        "(sample × drug).</p>",
    ]
    # ---- actionable share
    out.append("<h2>Samples with at least one actionable result</h2>")
    if eq.get("population_table"):
        out.append(
            f"<p class='note'>Populations from <code>{escape(eq['population_table'])}</code>"
            + (
                f"; {eq['relatives_excluded']} samples with a parent listed left out (--unrelated)"
                if eq["unrelated"]
                else ""
            )
            + (
                f"; {eq['not_in_population_table']} samples not in the table "
                "(counted in 'all' only)"
                if eq["not_in_population_table"]
                else ""
            )
            + ". Bars: share; whiskers: Wilson 95 % interval.</p>"
        )
    by_group = {g["group"]: g for g in eq["groups"]}
    rows = [(_label(g), by_group[g]["actionable"]) for g in top_groups]
    out.append(ci_bars(rows, "Actionable share (all, superpopulations)"))
    if has_pops:
        pop_rows = [
            (_label(g), by_group[g]["actionable"]) for g in groups if g.startswith("population:")
        ]
        out.append(ci_bars(pop_rows, "Actionable share by population"))
    # ---- knowledge-base representation
    out.append("<h2>Where the knowledge base under-represents a population</h2>")
    out.append(
        "<p class='note'>Share of haplotypes per gene: named allele with a function, named "
        "allele with <b>no assigned function</b>, <b>unmatched</b> (no named allele explains "
        "it), <b>not covered</b> (missing data). "
        + escape(eq["counting"])
        + "</p><p class='legend'>"
        + "".join(
            f"<span><i class='sw' style='background:{c}'></i>{escape(n)}</span>"
            for n, c in CATEGORY_COLOURS
        )
        + "</p><div class='grid'>"
    )
    for gene, data in eq["genes"].items():
        hap = data["haplotypes"]
        out.append(
            "<div class='card'>"
            + stacked([(_label(g), hap.get(g, {})) for g in top_groups if g in hap], gene)
            + "</div>"
        )
    out.append("</div>")
    # ---- phenotypes and alleles per gene
    out.append("<h2>Phenotype and allele frequencies (95 % Wilson intervals)</h2>")
    for gene, data in eq["genes"].items():
        out.append(f"<h3>{escape(gene)}</h3>")
        phen = data["phenotypes"]
        names = list(dict.fromkeys(p for g in top_groups for p in phen.get(g, {})))
        out.append(
            _table(
                ["phenotype", *[_label(g) for g in top_groups]],
                [
                    [escape(p)]
                    + [_cell(phen[g][p]) if p in phen.get(g, {}) else "–" for g in top_groups]
                    for p in names
                ],
            )
        )
        al = data["alleles"]
        overall = list(al.get("all", {}))[:8]
        if overall:
            out.append(
                _table(
                    ["allele (8 most frequent)", *[_label(g) for g in top_groups]],
                    [
                        [escape(a)]
                        + [_cell(al[g][a]) if a in al.get(g, {}) else "0" for g in top_groups]
                        for a in overall
                    ],
                )
            )
    # ---- drugs
    out.append("<h2>Drugs</h2>")
    drug_rows = sorted(
        summary["drugs"].items(), key=lambda kv: (-kv[1].get("actionable", 0), kv[0])
    )
    statuses = ["actionable", "no change", "no result", "no guideline"]
    out.append(
        _table(
            ["drug", *statuses],
            [
                [escape(d)] + [f"<span class='num'>{c.get(s, 0):,}</span>" for s in statuses]
                for d, c in drug_rows
                if any(c.get(s, 0) for s in statuses[:3])
            ],
        )
    )
    out.append("<h2>Calls per gene</h2>")
    out.append(
        _table(
            ["gene", "called", "no call", "phenotypes"],
            [
                [
                    escape(g),
                    f"{c['called']:,}",
                    f"{c['no_call']:,}",
                    escape("; ".join(f"{k}: {v:,}" for k, v in c["phenotypes"].items())),
                ]
                for g, c in summary["calls"].items()
            ],
        )
    )
    out.append("</body></html>\n")
    return "".join(out)
