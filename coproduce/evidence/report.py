"""The evidence report as figures with their methods, and its downloads (CSV, XLSX, PDF, open data).

Every row carries the words of its method: a number never travels without it. A figure
about fewer than 5 people reads "fewer than 5" everywhere, downloads included.
"""

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from coproduce.coproduction.index import HEADINGS
from coproduce.evidence import charts
from coproduce.evidence.selectors import MIN_CELL, Cell, Change, Indicators, describe
from coproduce.lib.duration import format_minutes

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


@dataclass(frozen=True)
class Row:
    section: str
    figure: str
    value: float | int | None  # None: suppressed or not enough data
    text: str
    method: str


def fewer() -> str:
    return _("fewer than %(n)d") % {"n": MIN_CELL}


def _text(cell: Cell, fmt: str = "count") -> str:
    if cell.suppressed:
        return fewer()
    if cell.value is None:
        return _("not enough data")
    if fmt == "minutes":
        return format_minutes(int(cell.value))
    if fmt == "share":
        return f"{cell.value:.0%}"
    if fmt == "days":
        return _("%(d).0f days") % {"d": cell.value}
    return f"{cell.value:,}"


def _row(section: str, figure: str, cell: Cell, method: str, fmt: str = "count") -> Row:
    return Row(section, figure, cell.shown, _text(cell, fmt), method)


def money(pence: int | None) -> str:
    return "" if pence is None else f"£{pence / 100:,.2f}"


def change_text(c: Change) -> str:
    if c.suppressed or c.mean_change is None:
        return fewer() if c.n else _("not enough data")
    return _("%(m)+.2f (95%% CI %(lo)+.2f to %(hi)+.2f), n = %(n)d") % {
        "m": c.mean_change,
        "lo": c.ci_low,
        "hi": c.ci_high,
        "n": c.n,
    }


def rows(ind: Indicators) -> list[Row]:
    """Every figure of the report, in reading order, with its method in plain words."""
    reach, given, net, social = (
        _("Reach"),
        _("Time given and received"),
        _("Network"),
        _("Social value"),
    )
    out = [
        _row(
            reach,
            _("Members"),
            ind.members,
            _("Active members at the end of the period (in the chosen service or neighbourhood)."),
        ),
        _row(
            reach,
            _("Active members"),
            ind.active,
            _(
                "Members who gave or received time in at least one completed exchange in the period."
            ),
        ),
        _row(
            reach,
            _("Reciprocity"),
            ind.reciprocity,
            _("Active members who both gave and received time ÷ active members."),
            "share",
        ),
        _row(reach, _("New members"), ind.new_members, _("Members who joined in the period.")),
        _row(
            reach,
            _("New members who exchanged"),
            ind.new_exchanged,
            _("New members whose first exchange was before the end of the period."),
        ),
        _row(
            reach,
            _("Median time to first exchange"),
            ind.median_days_to_first,
            _(
                "Median of days from joining to the first completed exchange, for new members who exchanged."
            ),
            "days",
        ),
        _row(
            reach,
            _("Active in the previous period"),
            ind.retention_base,
            _("Members active in the period of the same length just before this one."),
        ),
        _row(
            reach,
            _("Retention"),
            ind.retained,
            _("Of the members active in the previous period, the share active again in this one."),
            "share",
        ),
        _row(
            given,
            _("Time given"),
            ind.given_minutes,
            _(
                "Sum of minutes members earned in completed, unreversed exchanges, group exchanges, awards and pot grants."
            ),
            "minutes",
        ),
        _row(
            given,
            _("Time received"),
            ind.received_minutes,
            _(
                "Sum of minutes members spent on help from other members in completed, unreversed exchanges."
            ),
            "minutes",
        ),
    ]
    for cat in ind.categories:
        out.append(
            _row(
                given,
                _("Given: %(c)s") % {"c": cat.label},
                cat.given,
                _("Time given in this category of value."),
                "minutes",
            )
        )
        out.append(
            _row(
                given,
                _("Received: %(c)s") % {"c": cat.label},
                cat.received,
                _("Time received in this category of value."),
                "minutes",
            )
        )
    for m in ind.months:
        out.append(
            _row(
                given,
                _("Given in %(m)s") % {"m": m.month},
                m.given,
                _("Time given in the calendar month (UTC)."),
                "minutes",
            )
        )
    n = ind.network
    small = 0 < n.members < MIN_CELL
    # Counts of people are suppressed below 5; counts of ties and groups are not about anyone.
    network_rows: list[tuple[str, int, str, bool]] = [
        (
            _("Members in the network"),
            n.members,
            _("Members counted as points of the network."),
            True,
        ),
        (
            _("Ties"),
            n.ties,
            _("Pairs of members who gave time to each other, either way, in the period."),
            False,
        ),
        (_("New ties"), n.new_ties, _("Ties whose first exchange ever fell in the period."), False),
        (
            _("Ties bridging neighbourhoods"),
            n.bridging_ties,
            _("Ties between members of two different neighbourhoods."),
            False,
        ),
        (
            _("Connected groups"),
            n.groups,
            _("Groups of two or more members linked by ties, directly or through others."),
            False,
        ),
        (_("Largest group"), n.largest_group, _("Members in the largest connected group."), True),
        (_("Isolated members"), n.isolated, _("Members in scope with no tie in the period."), True),
    ]
    # Counts of people are suppressed below 5 (and everything when the network is that small);
    # counts of ties and groups are not about any one person.
    for figure, value, method, of_people in network_rows:
        hidden = small or (of_people and 0 < value < MIN_CELL)
        out.append(
            Row(net, figure, None if hidden else value, fewer() if hidden else f"{value:,}", method)
        )
    outcome = _("Outcome change")
    for c in ind.changes:
        label = f"{c.questionnaire}: {c.measure.label}"
        mean = None if c.suppressed else c.mean_change
        out.append(
            Row(
                outcome,
                label,
                mean,
                change_text(c),
                _(
                    "Paired before/after: mean of (after − before) per person; 95% confidence interval from the t distribution."
                ),
            )
        )
        if not c.suppressed and c.effect_size is not None:
            out.append(
                Row(
                    outcome,
                    _("%(l)s: effect size") % {"l": label},
                    c.effect_size,
                    f"{c.effect_size:.2f}",
                    _(
                        "Cohen's d for paired answers: mean change ÷ standard deviation of the changes."
                    ),
                )
            )
        if not c.suppressed and c.meaningful_improved is not None:
            cell = c.meaningful_improved
            out.append(
                _row(
                    outcome,
                    _("%(l)s: meaningful improvement") % {"l": label},
                    cell,
                    _("Share whose score improved by at least %(t)g points. Source: %(s)s")
                    % {"t": c.measure.meaningful_change, "s": c.measure.meaningful_source},
                    "share",
                )
            )
    if ind.index is not None:
        coproduction = _("Co-production index")
        if 0 < ind.index.participants < MIN_CELL:
            out.append(
                Row(
                    coproduction,
                    _("Participants"),
                    None,
                    fewer(),
                    _("People who took part in sessions or held roles."),
                )
            )
        else:
            for heading in HEADINGS:
                comp = ind.index.components[heading]
                out.append(
                    Row(
                        coproduction,
                        heading.replace("_", " ").capitalize(),
                        comp.value,
                        _("no evidence yet") if comp.value is None else f"{comp.value:.0%}",
                        _(
                            "NEF's co-production principle, as computed in docs/coproduction.md (%(n)g ÷ %(d)g)."
                        )
                        % {"n": comp.numerator, "d": comp.denominator},
                    )
                )
    s = ind.social
    if s.value_pence is not None and not ind.given_minutes.suppressed:
        out.append(
            Row(
                social,
                _("Replacement value of time given"),
                s.value_pence / 100,
                money(s.value_pence),
                _("Hours given (%(h).1f) × replacement cost of %(r)s an hour. Rate source: %(src)s")
                % {"h": s.hours, "r": money(s.rate_pence), "src": s.rate_source},
            )
        )
    else:
        out.append(
            Row(
                social,
                _("Replacement value of time given"),
                None,
                _("no rate set"),
                _(
                    "A coordinator sets the replacement-cost rate and its source; no value is shown without them."
                ),
            )
        )
    if s.wellby_value_pence is not None:
        out.append(
            Row(
                social,
                _("Wellbeing value of life-satisfaction change"),
                s.wellby_value_pence / 100,
                _("%(v)s (95%% CI %(lo)s to %(hi)s)")
                % {
                    "v": money(s.wellby_value_pence),
                    "lo": money(s.wellby_low_pence),
                    "hi": money(s.wellby_high_pence),
                },
                _(
                    "Mean change in ONS life satisfaction (%(c)+.2f points) × %(n)d people × %(r)s per point per person-year "
                    "(assumes the change lasts one year; nothing is subtracted for what would have happened anyway). "
                    "Rate source: %(src)s"
                )
                % {
                    "c": s.wellby_change or 0,
                    "n": s.wellby_people,
                    "r": money(s.wellby_pence),
                    "src": s.wellby_source,
                },
            )
        )
    return out


def chart_svgs(ind: Indicators) -> dict[str, str]:
    """The five charts of the dashboard and the PDF, as SVG text."""
    out: dict[str, str] = {}
    if ind.months:
        out["hours"] = charts.columns(
            [
                (m.month, None if m.given.suppressed else (m.given.value or 0) / 60)
                for m in ind.months
            ],
            title=_("Hours given by month"),
            desc=_(
                "Columns: hours given in each month; a grey stub is a month with fewer than 5 people."
            ),
        )
    cats = [c for c in ind.categories if c.given.value or c.given.suppressed]
    if cats:
        out["categories"] = charts.bars(
            [
                (
                    c.label,
                    None if c.given.suppressed else (c.given.value or 0) / 60,
                    _text(c.given, "minutes"),
                )
                for c in cats
            ],
            title=_("Time given by category of value"),
            desc=_("Bars: hours given in each category of value."),
        )
    shown = [c for c in ind.changes if not c.suppressed and c.mean_change is not None]
    if shown:
        out["change"] = charts.change(
            [(c.measure.label, c.mean_change or 0, c.ci_low or 0, c.ci_high or 0) for c in shown],
            title=_("Outcome change with 95% confidence intervals"),
            desc=_(
                "Dots: mean change per person; lines: 95% confidence interval; the centre line is no change."
            ),
        )
    if ind.network.members >= MIN_CELL and ind.network.ties:
        out["network"] = charts.network(
            ind.network.edges,
            ind.network.members,
            title=_("The exchange network"),
            desc=_(
                "Anonymous dots are members, lines are ties made in the period; a sample around the best-connected member."
            ),
        )
    index = [r for r in rows(ind) if r.section == _("Co-production index") and r.value is not None]
    if index:
        out["index"] = charts.bars(
            [(r.figure, float(r.value or 0), r.text) for r in index],
            title=_("Co-production index"),
            desc=_("Bars: each principle's share from 0% to 100%."),
        )
    return out


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


HEADER = ("section", "figure", "value", "as_text", "method")


def csv_text(ind: Indicators) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["# " + describe(ind.filters)])
    writer.writerow(HEADER)
    for r in rows(ind):
        writer.writerow(
            [
                _safe(r.section),
                _safe(r.figure),
                "" if r.value is None else r.value,
                _safe(r.text),
                _safe(r.method),
            ]
        )
    return buffer.getvalue()


def xlsx_bytes(ind: Indicators) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Evidence"
    sheet.append([describe(ind.filters)])
    sheet.append(list(HEADER))
    for r in rows(ind):
        sheet.append([_safe(r.section), _safe(r.figure), r.value, _safe(r.text), _safe(r.method)])
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["E"].width = 90
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def open_data(ind: Indicators, community_name: str) -> dict[str, Any]:
    return {
        "community": community_name,
        "period": {"start": ind.filters.start.isoformat(), "end": ind.filters.end.isoformat()},
        "service": ind.filters.service.title if ind.filters.service else None,
        "neighbourhood": ind.filters.neighbourhood.name if ind.filters.neighbourhood else None,
        "suppression": f"figures about fewer than {MIN_CELL} people are null",
        "enough_data": ind.enough_data,
        "figures": [
            {
                "section": r.section,
                "figure": r.figure,
                "value": r.value,
                "text": r.text,
                "method": r.method,
            }
            for r in rows(ind)
        ],
    }


def _latin(text: str) -> str:
    """The PDF's built-in Helvetica covers Latin-1; dashes and minus signs become hyphens."""
    for a, b in (
        ("−", "-"),
        ("–", "-"),
        ("—", "-"),
        ("÷", "/"),
        ("×", "x"),
        ("’", "'"),
        ("“", '"'),
        ("”", '"'),
    ):
        text = text.replace(a, b)
    return text.encode("latin-1", "replace").decode("latin-1")


def _para(pdf: Any, height: int, text: str) -> None:
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def pdf_bytes(ind: Indicators, community_name: str) -> bytes:
    """The printable commissioner report: headline figures, the charts, and every figure's method."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    _para(pdf, 9, _latin(_("Evidence of value: %(c)s") % {"c": community_name}))
    pdf.set_font("Helvetica", "", 11)
    _para(pdf, 6, _latin(describe(ind.filters)))
    pdf.ln(2)
    if not ind.enough_data:
        _para(pdf, 6, _latin(_("Not enough data for this period: no exchanges and no answers.")))
    _para(
        pdf,
        5,
        _latin(
            _(
                "Figures about fewer than 5 people are not shown. Every value is followed by its method."
            )
        ),
    )
    for svg in chart_svgs(ind).values():
        if pdf.get_y() > 200:
            pdf.add_page()
        pdf.ln(3)
        drawable = re.sub(
            r"<title>.*?</title><desc>.*?</desc>", "", svg
        )  # fpdf2 skips them noisily
        pdf.image(io.BytesIO(_latin(drawable).encode("utf-8")), w=170)
    section = ""
    for r in rows(ind):
        if pdf.get_y() > 265:
            pdf.add_page()
        if r.section != section:
            section = r.section
            pdf.ln(3)
            pdf.set_font("Helvetica", "B", 13)
            _para(pdf, 7, _latin(section))
        pdf.set_font("Helvetica", "B", 10)
        _para(pdf, 5, _latin(f"{r.figure}: {r.text}"))
        pdf.set_font("Helvetica", "", 8)
        _para(pdf, 4, _latin(r.method))
    return bytes(pdf.output())
