#!/usr/bin/python3
# DESCRIPTION: `mpsim report DIR`: Pareto scatter plots (PNG + SVG), per-layer breakdown bars and a
# self-contained HTML report from a DSE study directory (points.csv, pareto_*.csv, manifest.json,
# layers/<key>.csv). Run by Debian's /usr/bin/python3 with python3-matplotlib.
# SPDX-License-Identifier: Apache-2.0
"""Usage: mpsim_report.py DIR [--out OUTDIR] [--max-layer-plots N]

Exit status: 0 written; 2 bad input (every problem listed, naming the file); 3 matplotlib missing.
Prints one "wrote PATH" line per file written. Output is byte-identical across reruns.
"""

import argparse
import base64
import csv
import html
import io
import json
import math
import os
import re
import sys

# objective -> (points.csv column, axis label with unit, +1 minimized / -1 maximized)
OBJECTIVES = {
    "latency": ("latency_s", "latency (s)", 1),
    "energy": ("energy_j", "energy (J)", 1),
    "area": ("area_mm2", "area (mm²)", 1),
    "accuracy": ("accuracy_sqnr_db", "accuracy (dB SQNR)", -1),
}
# Always plotted, in this order; pareto_<a>_<b>.csv files in DIR add further pairs.
REQUIRED_PAIRS = [("latency", "energy"), ("latency", "area"), ("energy", "accuracy")]
REQUIRED_COLUMNS = ["key", "status", "reason"] + [c for c, _, _ in OBJECTIVES.values()]
FAMILY_COLUMN = "arch.pe.type"
STATUSES = ("ok", "infeasible", "failed")
MAX_LISTED_INFEASIBLE = 50
LOG_SPAN = 10.0  # an axis is logarithmic when its positive data spans more than this ratio

MATPLOTLIB_HINT = (
    "error: mpsim report needs matplotlib, which {} cannot import ({}).\n"
    "       Install Debian's package: sudo apt-get install python3-matplotlib\n"
    "       (it is importable only from /usr/bin/python3, not from a pyenv/venv python3).\n")


class InputError(Exception):
    """Bad study directory: the user's fault. Carries every problem found."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = problems


def import_matplotlib():
    try:
        import matplotlib
        matplotlib.use("Agg")  # no display; also the only backend whose output we pin
        import matplotlib.pyplot as plt
    except ImportError as e:
        sys.stderr.write(MATPLOTLIB_HINT.format(sys.executable, e))
        sys.exit(3)
    # A user's matplotlibrc must not change the files: start from the defaults, then pin what
    # differs between runs (SVG ids, dates) and what we choose.
    matplotlib.rcdefaults()
    matplotlib.rcParams.update({
        "svg.hashsalt": "mpsim-report",
        "svg.fonttype": "none",  # text stays <text>: searchable, small; viewers pick a sans font
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "figure.dpi": 100,
        "savefig.dpi": 110,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "path.simplify": False,
    })
    return matplotlib, plt


# ---------------------------------------------------------------------------------------------
# Reading the study


def parse_float(text):
    """A finite float, or None for an empty cell; raises ValueError otherwise."""
    if text.strip() == "":
        return None
    v = float(text)
    if not math.isfinite(v):
        raise ValueError("not finite")
    return v


def read_points(path):
    problems = []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            records = list(csv.reader(f))
    except OSError as e:
        raise InputError([f"{path}: cannot read: {e.strerror}"])
    except (UnicodeDecodeError, csv.Error) as e:
        raise InputError([f"{path}: not a CSV text file: {e}"])
    if not records:
        raise InputError([f"{path}: empty (expected a header line starting with 'key')"])
    header = records[0]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError([f"{path}:1: missing column{'s' if len(missing) > 1 else ''} "
                          f"{', '.join(missing)} (the header is: {','.join(header)})"])
    if header[0] != "key":
        problems.append(f"{path}:1: the first column must be 'key', not '{header[0]}'")
    status_at = header.index("status")
    knobs = header[1:status_at]  # export_csv writes the knobs between key and status
    metric_columns = [c for c in header[status_at + 1:] if c not in ("reason", "fidelity")]
    points, seen = [], {}
    for line, rec in enumerate(records[1:], start=2):
        if not rec:
            continue
        if len(rec) != len(header):
            problems.append(f"{path}:{line}: {len(rec)} fields, the header has {len(header)}")
            continue
        row = dict(zip(header, rec))
        where = f"{path}:{line}"
        if row["key"] == "":
            problems.append(f"{where}: empty key")
        elif row["key"] in seen:
            problems.append(f"{where}: key {row['key']} repeats line {seen[row['key']]}")
        seen.setdefault(row["key"], line)
        if row["status"] not in STATUSES:
            problems.append(f"{where}: status '{row['status']}' is not one of "
                            f"{' | '.join(STATUSES)}")
        values = {}
        for c in metric_columns:
            try:
                values[c] = parse_float(row[c])
            except ValueError:
                problems.append(f"{where}: column {c}: '{row[c]}' is not a finite number")
                values[c] = None
        if row["status"] == "ok":
            for c, _, _ in OBJECTIVES.values():
                if row[c].strip() == "":
                    problems.append(f"{where}: column {c} is empty for an ok point")
        points.append({
            "key": row["key"],
            "status": row["status"],
            "reason": row["reason"],
            "fidelity": row.get("fidelity", ""),
            "knobs": {k: row[k] for k in knobs},
            "values": values,
            "family": row.get(FAMILY_COLUMN, "") or "(unknown)",
        })
    if problems:
        raise InputError(problems)
    return knobs, metric_columns, points


def read_manifest(path):
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
    except (OSError, ValueError) as e:
        raise InputError([f"{path}: not valid JSON: {e}"])
    if not isinstance(m, dict):
        raise InputError([f"{path}: expected a JSON object at the top level"])
    return m


def pareto_pairs_in(directory):
    """Objective pairs for which the study exported pareto_<a>_<b>.csv, in name order."""
    pairs = []
    for name in sorted(os.listdir(directory)):
        m = re.fullmatch(r"pareto_([a-z]+)_([a-z]+)\.csv", name)
        if m and m.group(1) in OBJECTIVES and m.group(2) in OBJECTIVES:
            pairs.append((m.group(1), m.group(2)))
    return pairs


def read_pareto_keys(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [r["key"] for r in csv.DictReader(f) if r.get("key")]


def read_layers(path):
    problems = []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
            header = rows[0].keys() if rows else []
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError([f"{path}: cannot read: {e}"])
    if not rows:
        raise InputError([f"{path}: no layer rows"])
    for c in ("op", "cycles"):
        if c not in header:
            problems.append(f"{path}:1: missing column {c}")
    if problems:
        raise InputError(problems)
    components = [c for c in header if c.startswith("energy_") and c.endswith("_pj")
                  and c != "energy_pj"]
    cycle_parts = ["compute_cycles", "stall_cycles"]
    if not all(c in header for c in cycle_parts):
        cycle_parts = ["cycles"]
    out = []
    for line, r in enumerate(rows, start=2):
        rec = {"op": r["op"]}
        for c in components + cycle_parts:
            try:
                rec[c] = parse_float(r[c] or "") or 0.0
            except ValueError:
                problems.append(f"{path}:{line}: column {c}: '{r[c]}' is not a finite number")
        out.append(rec)
    if problems:
        raise InputError(problems)
    return components, cycle_parts, out


# ---------------------------------------------------------------------------------------------
# Non-dominated fronts


def non_dominated(items):
    """Indices of `items` ((u, v) pairs, both minimized) that no other item dominates.

    Equal items are all kept (as dse::non_dominated does). O(n log n): sweep by u; within a run of
    equal u only the smallest v can survive, and only if it beats every v seen at a smaller u.
    """
    order = sorted(range(len(items)), key=lambda i: (items[i][0], items[i][1], i))
    front, best_v, i = [], math.inf, 0
    while i < len(order):
        j = i
        while j < len(order) and items[order[j]][0] == items[order[i]][0]:
            j += 1
        group_min = items[order[i]][1]
        if group_min < best_v:
            front.extend(k for k in order[i:j] if items[k][1] == group_min)
            best_v = group_min
        i = j
    return sorted(front)


def pair_front(points, a, b):
    """The ok points non-dominated in objectives a and b, sorted by a then b (plot order)."""
    ca, _, sa = OBJECTIVES[a]
    cb, _, sb = OBJECTIVES[b]
    ok = [p for p in points if p["status"] == "ok"]
    idx = non_dominated([(sa * p["values"][ca], sb * p["values"][cb]) for p in ok])
    front = [ok[i] for i in idx]
    front.sort(key=lambda p: (p["values"][ca], sb * p["values"][cb], p["key"]))
    return front


# ---------------------------------------------------------------------------------------------
# Plots

MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "h"]


def family_styles(plt, families):
    cmap = plt.get_cmap("tab10")
    return {f: (cmap(i % 10), MARKERS[i % len(MARKERS)]) for i, f in enumerate(families)}


def wants_log(values):
    pos = [v for v in values if v > 0]
    return len(pos) == len(values) and len(pos) > 1 and max(pos) / min(pos) > LOG_SPAN


def save(fig, base, written):
    """PNG + SVG of `fig`; returns the PNG bytes (inlined into the HTML)."""
    png = io.BytesIO()
    # Fixed metadata: no creation date, no version-bearing Software string.
    fig.savefig(png, format="png", metadata={"Software": "mpsim report"})
    with open(base + ".png", "wb") as f:
        f.write(png.getvalue())
    fig.savefig(base + ".svg", format="svg",
                metadata={"Date": None, "Creator": "mpsim report"})
    written += [base + ".png", base + ".svg"]
    return png.getvalue()


def plot_pair(plt, a, b, points, front, styles, outdir, written):
    ca, la, _ = OBJECTIVES[a]
    cb, lb, _ = OBJECTIVES[b]
    ok = [p for p in points if p["status"] == "ok"]
    n_inf = sum(p["status"] == "infeasible" for p in points)
    n_fail = sum(p["status"] == "failed" for p in points)
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    dense = len(ok) > 1000  # smaller, fainter markers so a large study stays readable
    for fam, (color, marker) in styles.items():
        mine = [p for p in ok if p["family"] == fam]
        if not mine:
            continue
        ax.scatter([p["values"][ca] for p in mine], [p["values"][cb] for p in mine],
                   s=6 if dense else 22, color=color, marker=marker,
                   alpha=0.4 if dense else 0.75, linewidths=0, label=fam, zorder=2)
    fx = [p["values"][ca] for p in front]
    fy = [p["values"][cb] for p in front]
    if front:
        # 'post' steps trace the attainment boundary for a minimized x whether y is minimized
        # (the front falls) or maximized (it rises).
        ax.step(fx, fy, where="post", color="black", linewidth=1.2, zorder=3,
                label=f"non-dominated front ({len(front)})")
        ax.scatter(fx, fy, s=64, facecolors=[styles[p["family"]][0] for p in front],
                   edgecolors="black", linewidths=1.3, zorder=4)
    xlog = wants_log([p["values"][ca] for p in ok])
    ylog = wants_log([p["values"][cb] for p in ok])
    if xlog:
        ax.set_xscale("log")
    if ylog:
        ax.set_yscale("log")
    from matplotlib import ticker  # imported by import_matplotlib() already
    for axis, is_log in ((ax.xaxis, xlog), (ax.yaxis, ylog)):
        if is_log:
            # Label some minor ticks too: a study spanning one or two decades would otherwise
            # show a single labelled tick.
            axis.set_minor_formatter(
                ticker.LogFormatterSciNotation(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
    ax.set_xlabel(la)
    ax.set_ylabel(lb)
    omitted = f"{n_inf} infeasible" + (f" and {n_fail} failed" if n_fail else "")
    ax.set_title(f"{lb.split(' (')[0]} vs {la.split(' (')[0]}: {len(ok)} points, "
                 f"{omitted} omitted", fontsize=10)
    if ok:
        leg = ax.legend(loc="best", fontsize=8, framealpha=0.85)
        # Full-size, opaque legend markers even when a dense plot draws faint dots.
        for h in getattr(leg, "legend_handles", None) or leg.legendHandles:
            if hasattr(h, "set_sizes"):
                h.set_sizes([22])
                h.set_alpha(1.0)
    fig.tight_layout()
    base = os.path.join(outdir, f"pareto_{a}_{b}")
    png = save(fig, base, written)
    plt.close(fig)
    return png, {"xlog": xlog, "ylog": ylog, "ok": len(ok), "infeasible": n_inf,
                 "failed": n_fail}


def energy_unit(max_pj):
    for unit, scale in (("J", 1e12), ("mJ", 1e9), ("µJ", 1e6), ("nJ", 1e3)):
        if max_pj >= scale:
            return unit, scale
    return "pJ", 1.0


def plot_layers(plt, key, title, components, cycle_parts, rows, outdir, written):
    ops = [r["op"] for r in rows]
    y = list(range(len(ops)))
    height = max(3.0, 0.24 * len(ops) + 1.4)
    fig, (ax_e, ax_c) = plt.subplots(1, 2, figsize=(10, height), sharey=True)
    totals = [sum(r[c] for c in components) for r in rows]
    unit, scale = energy_unit(max(totals) if totals else 0.0)
    cmap = plt.get_cmap("tab10")
    left = [0.0] * len(rows)
    for i, c in enumerate(components):
        vals = [r[c] / scale for r in rows]
        ax_e.barh(y, vals, left=left, color=cmap(i % 10), height=0.7,
                  label=c[len("energy_"):-len("_pj")])
        left = [l + v for l, v in zip(left, vals)]
    ax_e.set_xlabel(f"energy ({unit})")
    ax_e.set_title("energy by component", fontsize=10)
    if components:
        ax_e.legend(fontsize=7, loc="lower right")
    left = [0.0] * len(rows)
    colors = {"compute_cycles": "#4c72b0", "stall_cycles": "#dd8452", "cycles": "#4c72b0"}
    for c in cycle_parts:
        vals = [r[c] for r in rows]
        ax_c.barh(y, vals, left=left, color=colors[c], height=0.7, label=c.replace("_", " "))
        left = [l + v for l, v in zip(left, vals)]
    ax_c.set_xlabel("cycles")
    ax_c.set_title("cycles per op", fontsize=10)
    ax_c.legend(fontsize=7, loc="lower right")
    ax_e.set_yticks(y)
    ax_e.set_yticklabels(ops, fontsize=7)
    ax_e.invert_yaxis()  # trace order top to bottom
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    png = save(fig, os.path.join(outdir, f"layers_{key}"), written)
    plt.close(fig)
    return png


# ---------------------------------------------------------------------------------------------
# HTML

CSS = """
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } figcaption { font-size: 0.9em; color: #444; }
img { max-width: 100%; } pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; }
.warn { color: #a40; }
"""


def esc(v):
    return html.escape(str(v), quote=True)


def fmt_num(v):
    return "" if v is None else f"{v:.4g}"


def img(png, alt):
    return (f'<img alt="{esc(alt)}" src="data:image/png;base64,'
            f'{base64.b64encode(png).decode("ascii")}">')


MANIFEST_FIELDS = [  # label, accepted keys (the first one present wins)
    ("tool version", ("tool_version", "version", "mpsim_version")),
    ("git hash", ("git_hash", "git", "commit")),
    ("seed", ("seed",)),
    ("cost table", ("cost_table", "cost_table_version")),
    ("spec hash", ("spec_hash",)),
]
SPEC_KEYS = ("spec_yaml", "spec", "resolved_spec")


def summary_html(manifest, manifest_path, points):
    parts = []
    counts = {s: sum(p["status"] == s for p in points) for s in STATUSES}
    rows = []
    if manifest is None:
        parts.append(f'<p class="warn">No manifest.json in the study directory '
                     f'({esc(manifest_path)}): provenance unknown.</p>')
    else:
        for label, keys in MANIFEST_FIELDS:
            k = next((k for k in keys if k in manifest), None)
            if k is not None:
                rows.append((label, manifest[k]))
        if isinstance(manifest.get("counts"), dict):
            rows.append(("counts (manifest)", ", ".join(
                f"{k} {v}" for k, v in manifest["counts"].items())))
    rows.append(("counts (points.csv)", f"{len(points)} points: " + ", ".join(
        f"{counts[s]} {s}" for s in STATUSES)))
    parts.append("<table>" + "".join(
        f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows) + "</table>")
    if manifest is not None:
        spec = next((manifest[k] for k in SPEC_KEYS if k in manifest), None)
        if spec is not None:
            if not isinstance(spec, str):
                spec = json.dumps(spec, indent=2, sort_keys=True)
            parts.append("<h3>Resolved design-space spec</h3><pre>" + esc(spec) + "</pre>")
    return "\n".join(parts)


def points_table(rows, knobs, metric_columns, pair=None, reason=False):
    head = ["key", "PE family" if FAMILY_COLUMN in knobs else None]
    head = [h for h in head if h] + [k for k in knobs if k != FAMILY_COLUMN]
    cols = ["status", "reason"] if reason else metric_columns + ["fidelity"]
    out = ["<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head + cols) + "</tr>"]
    for p in rows:
        attrs = f' class="front" data-pair="{pair}"' if pair else ' class="rejected"'
        cells = [f"<td>{esc(p['key'])}</td>"]
        if FAMILY_COLUMN in knobs:
            cells.append(f"<td>{esc(p['family'])}</td>")
        cells += [f"<td>{esc(p['knobs'][k])}</td>" for k in knobs if k != FAMILY_COLUMN]
        if reason:
            cells += [f"<td>{esc(p['status'])}</td>", f"<td>{esc(p['reason'])}</td>"]
        else:
            cells += [f'<td class="num">{fmt_num(p["values"][c])}</td>' for c in metric_columns]
            cells.append(f"<td>{esc(p['fidelity'])}</td>")
        out.append(f'<tr{attrs} data-key="{esc(p["key"])}">' + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------


def safe_key(key):
    return re.fullmatch(r"[A-Za-z0-9._-]+", key) is not None and not key.startswith(".")


def run(args):
    study = args.dir
    outdir = args.out or study
    points_path = os.path.join(study, "points.csv")
    if not os.path.isfile(points_path):
        raise InputError([f"{points_path}: no such file (a study directory holds the points.csv, "
                          "pareto_*.csv and manifest.json that `mpsim dse` exports)"])
    knobs, metric_columns, points = read_points(points_path)
    manifest_path = os.path.join(study, "manifest.json")
    manifest = read_manifest(manifest_path)

    layer_dir = os.path.join(study, "layers")
    layer_keys = []
    if os.path.isdir(layer_dir):
        names = sorted(n[:-4] for n in os.listdir(layer_dir) if n.endswith(".csv"))
        bad = [n for n in names if not safe_key(n)]
        if bad:
            raise InputError([f"{os.path.join(layer_dir, n + '.csv')}: the name is not a point key "
                              "(letters, digits, '.', '_', '-')" for n in bad])
        order = {p["key"]: i for i, p in enumerate(points)}
        layer_keys = sorted(names, key=lambda k: (order.get(k, len(order)), k))
    shown_layers = layer_keys[:args.max_layer_plots]
    layer_data = {k: read_layers(os.path.join(layer_dir, k + ".csv")) for k in shown_layers}

    _, plt = import_matplotlib()
    os.makedirs(outdir, exist_ok=True)
    written, warnings = [], []
    families = sorted({p["family"] for p in points})
    styles = family_styles(plt, families)
    by_key = {p["key"]: p for p in points}

    pairs = list(REQUIRED_PAIRS)
    pairs += [pp for pp in pareto_pairs_in(study) if pp not in pairs]
    sections = []
    for a, b in pairs:
        front = pair_front(points, a, b)
        png, info = plot_pair(plt, a, b, points, front, styles, outdir, written)
        exported = os.path.join(study, f"pareto_{a}_{b}.csv")
        if os.path.isfile(exported):
            theirs = set(read_pareto_keys(exported))
            if theirs != {p["key"] for p in front}:
                warnings.append(f"{exported}: its {len(theirs)} points differ from the "
                                f"{len(front)} non-dominated ok points of points.csv "
                                "(the report shows the latter)")
        sections.append((a, b, front, png, info))

    layer_pngs = []
    for k in shown_layers:
        components, cycle_parts, rows = layer_data[k]
        p = by_key.get(k)
        desc = (", ".join(f"{n}={v}" for n, v in p["knobs"].items()) if p
                else "not in points.csv")
        if p is None:
            warnings.append(f"{os.path.join(layer_dir, k + '.csv')}: key not in points.csv")
        layer_pngs.append((k, desc, plot_layers(plt, k, f"{k} ({desc})", components,
                                                cycle_parts, rows, outdir, written)))

    doc = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<title>mpsim DSE report</title>", f"<style>{CSS}</style></head><body>",
           "<h1>mpsim design-space exploration report</h1>",
           f"<p>Study directory: <code>{esc(os.path.basename(os.path.normpath(study)))}"
           "</code></p>", "<h2>Study</h2>", summary_html(manifest, manifest_path, points)]
    for w in warnings:
        doc.append(f'<p class="warn">warning: {esc(w)}</p>')
    doc.append("<h2>Pareto plots</h2>")
    for a, b, front, png, info in sections:
        axes = []
        for name, is_log in ((a, info["xlog"]), (b, info["ylog"])):
            axes.append(f"{'log' if is_log else 'linear'} {name}")
        doc.append(
            f'<figure id="plot_{a}_{b}">{img(png, f"{b} vs {a}")}<figcaption>'
            f"{esc(OBJECTIVES[b][1])} vs {esc(OBJECTIVES[a][1])}: {info['ok']} ok points "
            f"colored by PE family; {info['infeasible']} infeasible and {info['failed']} failed "
            f"points omitted; {len(front)} non-dominated points highlighted (step line). "
            f"Axes: {', '.join(axes)}. Files: pareto_{a}_{b}.png, pareto_{a}_{b}.svg."
            "</figcaption></figure>")
    doc.append("<h2>Non-dominated points</h2>")
    for a, b, front, _, _ in sections:
        sense = {1: "min", -1: "max"}
        doc.append(f'<h3 id="front_{a}_{b}">{esc(a)} ({sense[OBJECTIVES[a][2]]}) and {esc(b)} '
                   f"({sense[OBJECTIVES[b][2]]}): {len(front)} points</h3>")
        doc.append(points_table(front, knobs, metric_columns, pair=f"{a}_{b}"))
    rejected = [p for p in points if p["status"] != "ok"]
    doc.append(f'<h2 id="infeasible">Infeasible and failed points ({len(rejected)})</h2>')
    if len(rejected) > MAX_LISTED_INFEASIBLE:
        doc.append(f"<p>The first {MAX_LISTED_INFEASIBLE} of {len(rejected)}, in points.csv "
                   "order.</p>")
    doc.append(points_table(rejected[:MAX_LISTED_INFEASIBLE], knobs, metric_columns,
                            reason=True))
    doc.append(f'<h2 id="layers">Per-layer breakdown ({len(shown_layers)} of '
               f"{len(layer_keys)} points with layers/&lt;key&gt;.csv)</h2>")
    for k, desc, png in layer_pngs:
        doc.append(f'<figure id="layers_{esc(k)}">{img(png, "layers of " + k)}<figcaption>'
                   f"{esc(k)} ({esc(desc)}): energy by component and cycles per op. Files: "
                   f"layers_{esc(k)}.png, layers_{esc(k)}.svg.</figcaption></figure>")
    doc.append("</body></html>\n")
    report = os.path.join(outdir, "report.html")
    with open(report, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(doc))
    written.append(report)
    for w in warnings:
        sys.stderr.write(f"warning: {w}\n")
    for path in written:
        print(f"wrote {path}")


def main(argv):
    ap = argparse.ArgumentParser(prog="mpsim report", description=__doc__.splitlines()[0])
    ap.add_argument("dir", help="study directory (points.csv, pareto_*.csv, manifest.json)")
    ap.add_argument("--out", default="", help="output directory (default: DIR)")
    ap.add_argument("--max-layer-plots", type=int, default=8,
                    help="at most this many per-layer plots (default 8)")
    args = ap.parse_args(argv)
    if args.max_layer_plots < 0:
        ap.error("--max-layer-plots must be >= 0")
    try:
        run(args)
    except InputError as e:
        for p in e.problems:
            sys.stderr.write(f"error: {p}\n")
        n = len(e.problems)
        sys.stderr.write(f"{n} error{'s' if n != 1 else ''}; no report was written.\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
