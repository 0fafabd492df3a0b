"""Outcome instruments and their scoring: pure functions over plain answers, no database.

- ONS4: the Office for National Statistics' four personal wellbeing questions, each 0–10.
  The wording is Crown copyright under the Open Government Licence v3.0, so it is shipped.
- UCLA 3-item loneliness scale (Hughes et al. 2004): three items answered 1–3 (hardly ever,
  some of the time, often), summed to 3–9; higher is lonelier.
- SWEMWBS: seven items scored 1–5, the raw sum 7–35 converted to the metric score by the
  official conversion table below. The item wording is licensed and is NOT shipped: the
  organisation that holds the licence enters it once, and the form shows its copyright notice.
- Custom: questions a community writes, each with its own scale; each question is reported
  on its own.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ONS4, UCLA3, SWEMWBS, CUSTOM = "ons4", "ucla3", "swemwbs", "custom"

# Raw SWEMWBS score (7–35) → metric score: the conversion table published by the University of
# Warwick with the scale (Stewart-Brown et al. 2009, Rasch-based). Shipped as data.
SWEMWBS_METRIC: dict[int, float] = {
    7: 7.00,
    8: 9.51,
    9: 11.25,
    10: 12.40,
    11: 13.33,
    12: 14.08,
    13: 14.75,
    14: 15.32,
    15: 15.84,
    16: 16.36,
    17: 16.88,
    18: 17.43,
    19: 17.98,
    20: 18.59,
    21: 19.25,
    22: 19.98,
    23: 20.73,
    24: 21.54,
    25: 22.35,
    26: 23.21,
    27: 24.11,
    28: 25.03,
    29: 26.02,
    30: 27.03,
    31: 28.13,
    32: 29.31,
    33: 30.70,
    34: 32.55,
    35: 35.00,
}

SWEMWBS_NOTICE = (
    "Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS) © NHS Health Scotland, "
    "University of Warwick and University of Edinburgh, 2008, all rights reserved."
)
SWEMWBS_MEANINGFUL = 3.0
SWEMWBS_MEANINGFUL_SOURCE = (
    "Shah N et al. (2018), Responsiveness of the Short Warwick Edinburgh Mental Well-Being "
    "Scale (SWEMWBS), Health and Quality of Life Outcomes 16:239: a change of 1 to 3 points "
    "is statistically important at the individual level; we count 3 or more, the upper bound."
)
ONS_SOURCE = (
    "Office for National Statistics, Personal well-being questions (ONS4). Contains public "
    "sector information licensed under the Open Government Licence v3.0."
)
UCLA_SOURCE = (
    "Hughes ME, Waite LJ, Hawkley LC, Cacioppo JT (2004), A short scale for measuring "
    "loneliness in large surveys, Research on Aging 26(6):655-672."
)


@dataclass(frozen=True)
class Item:
    """One question as the form asks it: its text and the allowed whole-number answers."""

    text: str
    minimum: int
    maximum: int
    labels: tuple[tuple[int, str], ...] = ()  # answer value → words, where a scale names them


@dataclass(frozen=True)
class Measure:
    """A score that the reports follow over time."""

    key: str
    label: str
    minimum: float
    maximum: float
    higher_is_better: bool
    meaningful_change: float | None = None  # None: no published threshold, none is claimed
    meaningful_source: str = ""


ONS_ITEMS = (
    "Overall, how satisfied are you with your life nowadays?",
    "Overall, to what extent do you feel that the things you do in your life are worthwhile?",
    "Overall, how happy did you feel yesterday?",
    "Overall, how anxious did you feel yesterday?",
)
ONS_INTRO = (
    "Next I would like to ask you four questions about your feelings on aspects of your life. "
    "There are no right or wrong answers. For each of these questions I'd like you to give an "
    "answer on a scale of 0 to 10, where 0 is “not at all” and 10 is “completely”."
)
ONS_KEYS = ("life_satisfaction", "worthwhile", "happiness", "anxiety")
UCLA_ITEMS = (
    "How often do you feel that you lack companionship?",
    "How often do you feel left out?",
    "How often do you feel isolated from others?",
)
UCLA_LABELS = ((1, "Hardly ever"), (2, "Some of the time"), (3, "Often"))

MEASURE_LABELS = {
    "life_satisfaction": gettext_lazy("Life satisfaction (0–10)"),
    "worthwhile": gettext_lazy("Things I do are worthwhile (0–10)"),
    "happiness": gettext_lazy("Happiness yesterday (0–10)"),
    "anxiety": gettext_lazy("Anxiety yesterday (0–10, lower is better)"),
    "loneliness": gettext_lazy("Loneliness (3–9, lower is better)"),
    "wellbeing": gettext_lazy("Mental wellbeing, SWEMWBS metric score (7–35)"),
}


def ons4_items() -> list[Item]:
    return [Item(text, 0, 10, ((0, "Not at all"), (10, "Completely"))) for text in ONS_ITEMS]


def ucla3_items() -> list[Item]:
    return [Item(text, 1, 3, UCLA_LABELS) for text in UCLA_ITEMS]


def swemwbs_items(statements: Sequence[str], answer_labels: Sequence[str]) -> list[Item]:
    """The seven items in the licensed wording an organisation entered (never shipped here)."""
    labels = tuple(zip(range(1, 6), answer_labels, strict=False))
    return [Item(text, 1, 5, labels) for text in statements]


def measures_for(instrument: str) -> list[Measure]:
    """The scores an instrument yields (custom questionnaires: see `custom_measure`)."""
    if instrument == ONS4:
        return [Measure(key, str(MEASURE_LABELS[key]), 0, 10, key != "anxiety") for key in ONS_KEYS]
    if instrument == UCLA3:
        return [Measure("loneliness", str(MEASURE_LABELS["loneliness"]), 3, 9, False)]
    if instrument == SWEMWBS:
        return [
            Measure(
                "wellbeing",
                str(MEASURE_LABELS["wellbeing"]),
                7,
                35,
                True,
                SWEMWBS_MEANINGFUL,
                SWEMWBS_MEANINGFUL_SOURCE,
            )
        ]
    return []


def custom_measure(
    question_id: int, text: str, minimum: int, maximum: int, higher: bool
) -> Measure:
    return Measure(f"q{question_id}", text, minimum, maximum, higher)


def check_answers(answers: Sequence[object], items: Sequence[Item]) -> list[int]:
    """Whole numbers, one per item, each within its item's scale; else a ValidationError by item."""
    if not isinstance(answers, (list, tuple)) or len(answers) != len(items):
        raise ValidationError(
            {"answers": _("Answer all %(n)d questions, one answer each.") % {"n": len(items)}}
        )
    errors: dict[str, str] = {}
    clean: list[int] = []
    for n, (answer, item) in enumerate(zip(answers, items, strict=True), start=1):
        if isinstance(answer, bool) or not isinstance(answer, int):
            errors[f"item_{n}"] = _("Choose a whole number.")
        elif not item.minimum <= answer <= item.maximum:
            errors[f"item_{n}"] = _("Choose an answer from %(lo)d to %(hi)d.") % {
                "lo": item.minimum,
                "hi": item.maximum,
            }
        else:
            clean.append(answer)
    if errors:
        raise ValidationError(errors)
    return clean


def score_ons4(answers: Sequence[int]) -> dict[str, float]:
    """Each of the four questions is its own score; ONS does not sum them."""
    return {key: float(value) for key, value in zip(ONS_KEYS, answers, strict=True)}


def score_ucla3(answers: Sequence[int]) -> dict[str, float]:
    return {"loneliness": float(sum(answers))}


def swemwbs_metric(raw: int) -> float:
    if raw not in SWEMWBS_METRIC:
        raise ValueError(f"A SWEMWBS raw score is 7 to 35, not {raw}.")
    return SWEMWBS_METRIC[raw]


def score_swemwbs(answers: Sequence[int]) -> dict[str, float]:
    """Sum the seven items (7–35), then convert with the official table."""
    return {"wellbeing": swemwbs_metric(sum(answers))}


def score_custom(answers: Sequence[int], question_ids: Sequence[int]) -> dict[str, float]:
    return {f"q{q}": float(a) for q, a in zip(question_ids, answers, strict=True)}
