"""Small server-rendered SVG charts: the dashboard shows them inline (no JavaScript) and the
PDF report draws the same SVG. Only rect, line, circle and text, which fpdf2 can draw too.

Every chart has a <title> and <desc> for screen readers, and the page shows the same
figures in a table beside it.
"""

from collections.abc import Sequence
from html import escape

import igraph as ig
import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import breadth_first_order

from coproduce.evidence.network import adjacency

WIDTH = 640
INK, SOFT, BRAND, ACCENT, LINE = "#1f2a2e", "#5b6b70", "#1b6b4a", "#b5541c", "#c9d3d6"
FONT = 'font-family="Helvetica" font-size="12"'
PICTURE_NODES = 150  # the network picture draws at most this many members


def _svg(height: int, title: str, desc: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" class="chart"><title>{escape(title)}</title>'
        f"<desc>{escape(desc)}</desc>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", fill: str = INK) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" {FONT} fill="{fill}" text-anchor="{anchor}">{escape(text)}</text>'


def bars(rows: Sequence[tuple[str, float | None, str]], *, title: str, desc: str) -> str:
    """Horizontal bars: (label, value or None when suppressed, value as words)."""
    top = max((v for _l, v, _t in rows if v is not None), default=0) or 1
    height = 24 * len(rows) + 10
    body = []
    for n, (label, value, words) in enumerate(rows):
        y = 8 + 24 * n
        body.append(_text(0, y + 13, label[:34]))
        if value is not None and value > 0:
            body.append(
                f'<rect x="230" y="{y}" width="{300 * value / top:.1f}" height="16" fill="{BRAND}"/>'
            )
        body.append(_text(236 + (300 * (value or 0) / top), y + 13, words, fill=SOFT))
    return _svg(height, title, desc, body)


def columns(rows: Sequence[tuple[str, float | None]], *, title: str, desc: str) -> str:
    """Vertical columns over time (label, value or None when suppressed); suppressed ones hatched grey."""
    height, base, plot = 220, 190, 160
    top = max((v for _l, v in rows if v is not None), default=0) or 1
    step = (WIDTH - 60) / max(len(rows), 1)
    body = [
        f'<line x1="50" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="{LINE}"/>',
        _text(0, 20, f"{top:,.0f}"),
    ]
    for n, (label, value) in enumerate(rows):
        x = 55 + n * step
        if value is None:
            body.append(
                f'<rect x="{x:.1f}" y="{base - 8}" width="{step * 0.7:.1f}" height="8" fill="{LINE}"/>'
            )
        else:
            h = plot * value / top
            body.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" fill="{BRAND}"/>'
            )
        if len(rows) <= 13 or n % 3 == 0:
            body.append(_text(x, base + 16, label[2:] if len(label) == 7 else label))
    return _svg(height, title, desc, body)


def change(rows: Sequence[tuple[str, float, float, float]], *, title: str, desc: str) -> str:
    """Mean change with its 95% confidence interval per measure: (label, mean, low, high)."""
    height = 30 * len(rows) + 40
    reach = max((max(abs(lo), abs(hi)) for _l, _m, lo, hi in rows), default=1) or 1
    centre, half = 440, 180

    def x(v: float) -> float:
        return centre + half * v / reach

    body = [
        f'<line x1="{centre}" y1="0" x2="{centre}" y2="{height - 20}" stroke="{SOFT}"/>',
        _text(centre, height - 4, "0", "middle", SOFT),
        _text(x(-reach), height - 4, f"{-reach:+.1f}", "middle", SOFT),
        _text(x(reach), height - 4, f"{reach:+.1f}", "middle", SOFT),
    ]
    for n, (label, mean, lo, hi) in enumerate(rows):
        y = 16 + 30 * n
        body.append(_text(0, y + 4, label[:44]))
        body.append(
            f'<line x1="{x(lo):.1f}" y1="{y}" x2="{x(hi):.1f}" y2="{y}" stroke="{INK}" stroke-width="2"/>'
        )
        body.append(f'<circle cx="{x(mean):.1f}" cy="{y}" r="5" fill="{ACCENT}"/>')
    return _svg(height, title, desc, body)


def network(edges: NDArray[np.int64], nodes: int, *, title: str, desc: str) -> str:
    """Anonymous dots and lines: a sample of up to 150 members around the best-connected one.

    The sample is found on the whole graph with scipy (degrees, a breadth-first walk over its
    sparse matrix, no copy of the edges); only the sample becomes an igraph graph, to lay out.
    """
    degree = np.bincount(edges.ravel(), minlength=nodes)
    tied = np.flatnonzero(degree > 0)
    if len(tied) == 0:
        return _svg(40, title, desc, [_text(0, 20, "-")])
    # Isolated members are counted in the figures, not drawn: they would only ring the picture.
    if len(tied) > PICTURE_NODES:
        walk = breadth_first_order(
            adjacency(edges, nodes),
            int(np.argmax(degree)),
            directed=False,
            return_predecessors=False,
        )
        tied = np.sort(walk[:PICTURE_NODES])
    renumber = np.full(nodes, -1, dtype=np.int64)
    renumber[tied] = np.arange(len(tied), dtype=np.int64)
    inside = (renumber[edges[:, 0]] >= 0) & (renumber[edges[:, 1]] >= 0)
    graph = ig.Graph(n=len(tied), edges=renumber[edges[inside]].tolist())
    layout = graph.layout_fruchterman_reingold(
        seed=[(np.cos(i), np.sin(i)) for i in range(graph.vcount())], niter=200
    )
    coords = np.array(layout.coords) if graph.vcount() else np.zeros((0, 2))
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1)
    pts = 20 + (coords - lo) / span * np.array([WIDTH - 40, 320])
    body = [
        f'<line x1="{pts[a][0]:.1f}" y1="{pts[a][1]:.1f}" x2="{pts[b][0]:.1f}" y2="{pts[b][1]:.1f}" stroke="{LINE}"/>'
        for a, b in graph.get_edgelist()
    ]
    body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{BRAND}"/>' for x, y in pts]
    return _svg(360, title, desc, body)
