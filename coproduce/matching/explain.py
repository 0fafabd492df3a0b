"""Reasons in plain words for a suggested pair, and for a need that nobody can meet.

Pure functions over the arrays of scoring.py; the words are translated with gettext in
the language active when they are made (the coordinator's or the member's).
"""

from django.utils.translation import gettext as _

from coproduce.lib.weekly import WEEKDAYS
from coproduce.matching.scoring import (
    FIRST_EXCHANGE,
    Helpers,
    Needs,
    Pairs,
    Vocabulary,
)

SEPARATOR = " · "
GOOD_FEEDBACK = 0.8
GOOD_FEEDBACK_MIN = 3


def distance_words(km: float) -> str:
    """Coarse on purpose: places are stored to about 100 m (DESIGN rule 7)."""
    if km < 0.15:
        return _("less than 100 m away")
    if km < 0.95:
        return _("%(m)d m away") % {"m": int(round(km * 1000, -2))}
    return _("%(km)s km away") % {"km": f"{km:.1f}"}


def _part_of_day(hour: int) -> str:
    if hour < 12:
        return _("mornings")
    if hour < 17:
        return _("afternoons")
    return _("evenings")


def _first_shared_hour(needs: Needs, helpers: Helpers, n: int, h: int) -> int | None:
    for word in range(needs.hours.shape[1]):
        both = int(needs.hours[n, word]) & int(helpers.hours[h, word])
        if both:
            return word * 64 + (both & -both).bit_length() - 1
    return None


def _codes(value: int) -> list[int]:
    return [bit for bit in range(64) if value >> bit & 1]


def reasons(
    pairs: Pairs,
    p: int,
    needs: Needs,
    helpers: Helpers,
    vocabulary: Vocabulary,
    *,
    pledged_words: str | None = None,
) -> list[str]:
    """Why pair p was suggested, most telling first; `pledged_words` says what a pledge
    is when the need is not a role (e.g. a session to lead)."""
    n, h = int(pairs.need[p]), int(pairs.helper[p])
    parts = pairs.parts[p]
    said: list[str] = []
    skill, category = int(needs.skill[n]), int(needs.category[n])
    if pairs.pledged[p]:
        said.append(pledged_words or _("pledged time to this role"))
    elif parts[0] >= 1.0 and skill >= 0:
        said.append(
            _("offers %(s)s") % {"s": vocabulary_name(vocabulary.skill_names, skill, _("this"))}
        )
    elif (skill >= 0 or category >= 0) and parts[0] > 0:
        said.append(
            _("offers help with %(c)s")
            % {"c": vocabulary_name(vocabulary.category_names, category, _("this"))}
        )
    if needs.remote[n] and helpers.remote[h]:
        said.append(_("can help remotely"))
    elif pairs.distance_km[p] == pairs.distance_km[p]:  # not NaN
        said.append(distance_words(float(pairs.distance_km[p])))
    else:
        said.append(_("no location given, so distance was not counted"))
    hour = _first_shared_hour(needs, helpers, n, h)
    if hour is not None:
        said.append(
            _("free on %(day)s %(part)s")
            % {"day": WEEKDAYS[hour // 24][1], "part": _part_of_day(hour % 24)}
        )
    elif parts[2] != 1.0 and parts[2] == 0.5:
        said.append(_("no times given, so availability was not counted"))
    shared = int(needs.languages[n]) & int(helpers.languages[h])
    for code in _codes(shared):
        language = vocabulary.languages[code] if code < len(vocabulary.languages) else ""
        if language and language not in vocabulary.home_languages:
            said.append(
                _("speaks %(l)s") % {"l": vocabulary.language_names.get(language, language)}
            )
            break
    for code in _codes(int(needs.access[n]) & int(helpers.access[h])):
        if code < len(vocabulary.access):
            name = vocabulary.access_names.get(vocabulary.access[code], vocabulary.access[code])
            said.append(_("gives access support: %(a)s") % {"a": name})
    if needs.checked_only[n]:
        said.append(_("has a current safeguarding check"))
    if needs.gender[n]:
        said.append(_("as you preferred"))
    if parts[5] >= FIRST_EXCHANGE and helpers.given[h] == 0:
        said.append(_("has not had a first exchange yet"))
    elif parts[5] >= 0.5:
        said.append(_("a chance to give back"))
    if helpers.asked[h] == 0:
        said.append(_("has not been asked this month"))
    if helpers.given[h] >= GOOD_FEEDBACK_MIN and parts[7] >= GOOD_FEEDBACK:
        said.append(_("%(n)d exchanges confirmed") % {"n": int(helpers.given[h])})
    return said


def vocabulary_name(names: dict[int, str], code: int, default: str) -> str:
    return names.get(code, default)


def why_unmatched(
    pairs: Pairs, positions: list[int], needs: Needs, helpers: Helpers, n: int
) -> str:
    """Why need n has no suggestion, from the hard constraint its candidates broke most."""
    if not positions:
        if needs.xy[n, 0] != needs.xy[n, 0] and not needs.remote[n]:
            return _(
                "Nobody offers this skill nearby, and the request has no location: add one, "
                "or say it can be done remotely."
            )
        if int(needs.skill[n]) >= 0:
            return _("Nobody within reach offers this skill or one like it.")
        return _("Nobody is available within reach.")
    broken = {"checked": 0, "gender": 0, "distance": 0, "skill": 0}
    for p in positions:
        h = int(pairs.helper[p])
        if needs.checked_only[n] and not helpers.checked[h]:
            broken["checked"] += 1
        if needs.gender[n] and needs.gender[n] != helpers.gender[h]:
            broken["gender"] += 1
        if pairs.distance_km[p] > helpers.travel_km[h]:
            broken["distance"] += 1
    worst = max(broken, key=lambda k: broken[k])
    if broken[worst] == 0:
        return why_full()
    return {
        "checked": _("No helper within reach has a current safeguarding check."),
        "gender": _("No helper within reach matches the stated preference."),
        "distance": _("The helpers who fit live further away than they can travel."),
        "skill": _("Nobody within reach offers this skill or one like it."),
    }[worst]


def why_full() -> str:
    return _("Every helper who fits is already at their weekly limit, or scores too low.")
