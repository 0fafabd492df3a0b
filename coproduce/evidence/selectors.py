"""Indicators for a community, a service or a neighbourhood over a period.

A fixed number of queries whatever the size: the database returns plain integer columns
(members, ledger entries, answers) and numpy / igraph do the rest. Every figure that
counts people carries how many people it is about, so that reports can suppress cells of
fewer than 5 (`Cell`). docs/evidence.md explains every formula in plain words.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext as _
from numpy.typing import NDArray
from scipy import stats

from coproduce.communities.models import Community, Membership, Neighbourhood, OrganisationMember
from coproduce.coproduction.index import HEADINGS, IndexResult
from coproduce.coproduction.models import Service, Session
from coproduce.coproduction.selectors import community_index, service_index, service_participant_ids
from coproduce.evidence import instruments
from coproduce.evidence.models import EvidenceSettings, Question, Questionnaire, Response
from coproduce.evidence.network import (
    NetworkFigures,
    distinct,
    network_figures,
    positions,
    tie_figures,
    tie_pairs,
)
from coproduce.ledger.models import (
    Account,
    Category,
    Entry,
    FirstExchange,
    TieDay,
    TieFirst,
    Transfer,
    ValueDay,
)
from coproduce.people.models import Consent

REPORT_WORK_MEM = "128MB"
MIN_CELL = 5  # any figure about fewer people than this is shown as "fewer than 5"
VALUE_KINDS = (
    Transfer.Kind.EXCHANGE,
    Transfer.Kind.GROUP,
    Transfer.Kind.AWARD,
    Transfer.Kind.GRANT,
)
CATEGORIES = list(Category.values)
MIN_FOLLOW_UP = timedelta(days=60)  # a "before" and an "after" at least this far apart
DAY = 86400


class Epoch(Func):
    """Seconds since 1970 (UTC) of a datetime column, as an integer, on SQLite and PostgreSQL."""

    output_field = BigIntegerField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]  # PostgreSQL
        return super().as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM %(expressions)s) AS BIGINT)",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400) AS INTEGER)",
            **extra,
        )


class DayNumber(Func):
    """Days since 1970-01-01 of a date column, as an integer: date arithmetic on PostgreSQL,
    where EXTRACT(EPOCH …) would make a numeric of every row first."""

    output_field = BigIntegerField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]  # PostgreSQL
        return super().as_sql(
            compiler, connection, template="(%(expressions)s - DATE '1970-01-01')", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)",
            **extra,
        )


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _columns(queryset: QuerySet[Any], *columns: Any) -> NDArray[np.int64]:
    """The given integer columns of the queryset as an (n, k) array; NULL reads as 0.

    On PostgreSQL the columns come packed as bytes, read by numpy without a Python object
    per value (a million entries in a fraction of a second); elsewhere through the cursor.
    """
    names = [f"c{i}" for i in range(len(columns))]
    values = queryset.annotate(
        **{
            n: Coalesce(Cast(c, BigIntegerField()), Value(0))
            for n, c in zip(names, columns, strict=True)
        }
    ).values_list(*names)
    sql, params = values.query.sql_with_params()
    width = len(columns)
    if connection.vendor == "postgresql":
        # One row of one byte string per column (big-endian int8s, in the same scan order):
        # numpy reads each without making a Python object per value.
        packed = ", ".join(f"string_agg(int8send(q.{n}), ''::bytea)" for n in names)
        with transaction.atomic(), connection.cursor() as cursor:
            # A report reads every row of a period once: let its hash joins stay in memory.
            cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
            cursor.execute(f"SELECT {packed} FROM ({sql}) q", params)
            found = cursor.fetchone()
        if found is None or found[0] is None:
            return np.zeros((0, width), dtype=np.int64)
        return np.column_stack(
            [np.frombuffer(bytes(col), dtype=">i8").astype(np.int64) for col in found]
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return np.array(rows, dtype=np.int64).reshape(len(rows), width)


@dataclass(frozen=True)
class Filters:
    start: datetime
    end: datetime
    service: Service | None = None
    neighbourhood: Neighbourhood | None = None


@dataclass(frozen=True)
class Cell:
    """A figure and how many people it is about; fewer than 5 (but some) and it is suppressed."""

    value: float | int | None
    people: int

    @property
    def suppressed(self) -> bool:
        return 0 < self.people < MIN_CELL

    @property
    def shown(self) -> float | int | None:
        return None if self.suppressed else self.value


@dataclass(frozen=True)
class CategoryRow:
    key: str
    label: str
    given: Cell  # minutes
    received: Cell  # minutes


@dataclass(frozen=True)
class MonthRow:
    month: str  # YYYY-MM
    given: Cell  # minutes


@dataclass(frozen=True)
class Change:
    """Paired before/after change in one measure."""

    questionnaire: str
    measure: instruments.Measure
    n: int
    before: float | None = None
    after: float | None = None
    mean_change: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    sd_change: float | None = None
    effect_size: float | None = None
    meaningful_improved: Cell | None = None
    meaningful_worse: Cell | None = None

    @property
    def suppressed(self) -> bool:
        return self.n < MIN_CELL


@dataclass(frozen=True)
class SocialValue:
    hours: float
    rate_pence: int | None
    rate_source: str
    value_pence: int | None
    wellby_pence: int | None
    wellby_source: str
    wellby_people: int
    wellby_change: float | None
    wellby_value_pence: int | None
    wellby_low_pence: int | None
    wellby_high_pence: int | None


@dataclass
class Indicators:
    filters: Filters
    members: Cell
    active: Cell
    given_minutes: Cell
    received_minutes: Cell
    givers: Cell
    receivers: Cell
    reciprocity: Cell  # share of active members who both gave and received
    categories: list[CategoryRow]
    months: list[MonthRow]
    new_members: Cell
    new_exchanged: Cell  # of them, how many had a first exchange by the end of the period
    median_days_to_first: Cell
    retention_base: Cell  # active in the previous period of the same length
    retained: Cell  # share of them active again in this period
    network: NetworkFigures
    changes: list[Change]
    index: IndexResult | None
    social: SocialValue
    responses_in_period: int
    settings: EvidenceSettings
    notes: list[str] = field(default_factory=list)

    @property
    def enough_data(self) -> bool:
        return bool(self.active.value) or self.responses_in_period > 0


def may_see_reports(*, membership: Membership) -> bool:
    """Coordinators and admins, and managers of the community's organisations."""
    if membership.is_staff:
        return True
    return (
        membership.is_active
        and OrganisationMember.objects.filter(
            community_id=membership.community_id,
            user_id=membership.user_id,
            role=OrganisationMember.Role.MANAGER,
        ).exists()
    )


def _category_code() -> Case:
    return Case(
        *(When(transfer__category=key, then=Value(n)) for n, key in enumerate(CATEGORIES)),
        default=Value(len(CATEGORIES) - 1),
        output_field=IntegerField(),
    )


def _members_queryset(community: Community, end: datetime) -> QuerySet[Membership]:
    """Active members who had joined by `end`."""
    return (
        Membership.objects.filter(community=community, state=Membership.State.ACTIVE)
        .annotate(joined=Epoch(Coalesce(F("joined_at"), F("created_at"))))
        .filter(joined__lt=_epoch(end))
    )


def _members(community: Community, end: datetime) -> NDArray[np.int64]:
    """Active members who had joined by `end`: (user id, neighbourhood id or 0, joined epoch), by id."""
    rows = _columns(
        _members_queryset(community, end).order_by("user_id"),
        F("user_id"),
        F("neighbourhood_id"),
        F("joined"),
    )
    return rows


def _entries(community: Community, filters: Filters) -> NDArray[np.int64]:
    """Members' sides of completed, unreversed value transfers up to the end of the period:
    (transfer id, user id, minutes, completed epoch, category code)."""
    # NOT IN over the (few) reversed transfers: both databases build it once, where a correlated
    # NOT EXISTS made SQLite scan every transfer for every entry.
    reversed_ = Transfer.objects.filter(community=community, reverses__isnull=False).values(
        "reverses_id"
    )
    entries = Entry.objects.filter(
        community=community,
        account__kind=Account.Kind.MEMBER,
        transfer__state=Transfer.State.COMPLETED,
        transfer__kind__in=VALUE_KINDS,
        transfer__completed_at__lt=filters.end,
    ).exclude(transfer_id__in=reversed_)
    if filters.service is not None:
        entries = entries.filter(
            transfer__pays_for_type=ContentType.objects.get_for_model(Session),
            transfer__pays_for_id__in=Session.objects.filter(service=filters.service).values("pk"),
        )
    return _columns(
        entries.annotate(at=Epoch("transfer__completed_at"), cat=_category_code()).order_by(),
        F("transfer_id"),
        F("account__user_id"),
        F("amount_minutes"),
        F("at"),
        F("cat"),
    )


def _cell_people(users: NDArray[np.int64]) -> int:
    return len(np.unique(users))


def _changes(community: Community, filters: Filters) -> tuple[list[Change], int]:
    """Paired before/after change per measure, over people whose health-data consent is current.

    A service's report takes everyone who answered at its start and end (answering there is
    taking part); a neighbourhood's, its members' answers."""
    consented = Consent.objects.filter(
        community=community,
        user=OuterRef("person_id"),
        purpose=Consent.Purpose.HEALTH_DATA,
        withdrawn_at__isnull=True,
    )
    responses = Response.objects.filter(community=community, answered_at__lt=filters.end).filter(
        Exists(consented)
    )
    if filters.service is not None:
        responses = responses.filter(service=filters.service)
    if filters.neighbourhood is not None:
        responses = responses.filter(
            person__memberships__community=community,
            person__memberships__neighbourhood=filters.neighbourhood,
        )
    rows = list(
        responses.order_by("answered_at", "id").values_list(
            "person_id", "questionnaire_id", "occasion", "answered_at", "scores"
        )
    )
    questionnaires = {q.pk: q for q in Questionnaire.objects.filter(community=community)}
    questions: dict[int, list[Question]] = defaultdict(list)
    for q in Question.objects.filter(community=community):
        questions[q.questionnaire_id].append(q)
    in_period = sum(1 for r in rows if r[3] >= filters.start)
    # person, questionnaire → their answers in time order
    series: dict[tuple[int, int], list[tuple[str, datetime, dict[str, float]]]] = defaultdict(list)
    for person, q_key, occasion, at, scores in rows:
        series[(person, q_key)].append((occasion, at, scores))
    pairs: dict[int, list[tuple[dict[str, float], dict[str, float]]]] = defaultdict(list)
    for (_person, q_key), answers in series.items():
        pair = _pair(answers, filters)
        if pair is not None:
            pairs[q_key].append(pair)
    changes: list[Change] = []
    for q_id, questionnaire in sorted(
        questionnaires.items(), key=lambda kv: (kv[1].instrument, kv[1].title)
    ):
        if questionnaire.instrument == instruments.CUSTOM:
            measures = [
                instruments.custom_measure(
                    q.pk, q.text, q.scale_min, q.scale_max, q.higher_is_better
                )
                for q in questions[q_id]
            ]
        else:
            measures = instruments.measures_for(questionnaire.instrument)
        for measure in measures:
            before = [
                b[measure.key] for b, a in pairs[q_id] if measure.key in b and measure.key in a
            ]
            after = [
                a[measure.key] for b, a in pairs[q_id] if measure.key in b and measure.key in a
            ]
            if before or questionnaire.active:
                changes.append(paired_change(questionnaire.title, measure, before, after))
    return changes, in_period


def _pair(
    answers: list[tuple[str, datetime, dict[str, float]]], filters: Filters
) -> tuple[dict[str, float], dict[str, float]] | None:
    """A person's before and after: at a service's start and end; otherwise their last answer
    on or before the period's start (or their first in it) and their last in the period, at
    least 60 days later."""
    if filters.service is not None:
        start = [s for o, _at, s in answers if o == Response.Occasion.SERVICE_START]
        end = [
            s for o, at, s in answers if o == Response.Occasion.SERVICE_END and at >= filters.start
        ]
        return (start[0], end[-1]) if start and end else None
    before_start = [(at, s) for _o, at, s in answers if at <= filters.start]
    during = [(at, s) for _o, at, s in answers if at >= filters.start]
    baseline = before_start[-1] if before_start else (during[0] if during else None)
    if baseline is None or not during:
        return None
    last = during[-1]
    if last[0] - baseline[0] < MIN_FOLLOW_UP:
        return None
    return baseline[1], last[1]


def paired_change(
    title: str, measure: instruments.Measure, before: list[float], after: list[float]
) -> Change:
    """Mean change (after − before) with its 95% confidence interval (t distribution), the
    paired effect size (Cohen's d: mean change ÷ standard deviation of the changes) and the
    share whose change reaches the measure's meaningful threshold, when it has one."""
    n = len(before)
    if n < MIN_CELL:
        return Change(title, measure, n)
    b, a = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    diff = a - b
    mean = float(diff.mean())
    sd = float(diff.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n))
    improved = worse = None
    if measure.meaningful_change is not None:
        toward = diff if measure.higher_is_better else -diff
        up = int((toward >= measure.meaningful_change).sum())
        down = int((toward <= -measure.meaningful_change).sum())
        improved, worse = Cell(up / n, up), Cell(down / n, down)
    return Change(
        title,
        measure,
        n,
        before=float(b.mean()),
        after=float(a.mean()),
        mean_change=mean,
        ci_low=mean - half,
        ci_high=mean + half,
        sd_change=sd,
        effect_size=mean / sd if sd > 0 else None,
        meaningful_improved=improved,
        meaningful_worse=worse,
    )


def _social(settings: EvidenceSettings, given_minutes: int, changes: list[Change]) -> SocialValue:
    hours = given_minutes / 60
    rate = settings.replacement_rate_pence
    life = next(
        (
            c
            for c in changes
            if c.measure.key == "life_satisfaction"
            and not c.suppressed
            and c.mean_change is not None
        ),
        None,
    )
    wellby = settings.wellby_value_pence
    value = low = high = None
    if wellby and life is not None and life.mean_change is not None:
        value = round(life.mean_change * life.n * wellby)
        low = round((life.ci_low or 0) * life.n * wellby)
        high = round((life.ci_high or 0) * life.n * wellby)
    return SocialValue(
        hours=hours,
        rate_pence=rate,
        rate_source=settings.replacement_rate_source,
        value_pence=round(hours * rate) if rate else None,
        wellby_pence=wellby,
        wellby_source=settings.wellby_source,
        wellby_people=life.n if life else 0,
        wellby_change=life.mean_change if life else None,
        wellby_value_pence=value,
        wellby_low_pence=low,
        wellby_high_pence=high,
    )


@dataclass(frozen=True)
class LedgerFigures:
    """What the report takes from the ledger, worked out from the entries or from the summary."""

    active: int
    givers: int
    receivers: int
    both: int
    given_minutes: int
    received_minutes: int
    categories: list[CategoryRow]
    months: list[MonthRow]
    first_at: dict[int, int]  # member → epoch of their first exchange, if before the end
    before: int  # active in the previous period of the same length
    again: int  # of them, active in this period
    network: NetworkFigures


def _scope(community: Community, filters: Filters, members: NDArray[np.int64]) -> NDArray[np.bool_]:
    member_ids, member_area = members[:, 0], members[:, 1]
    if filters.neighbourhood is not None:
        return np.asarray(member_area == filters.neighbourhood.pk)
    if filters.service is not None:
        scope_ids = service_participant_ids(service=filters.service)
        return np.isin(member_ids, np.fromiter(scope_ids, dtype=np.int64, count=len(scope_ids)))
    return np.ones(len(member_ids), dtype=bool)


def _midnight(moment: datetime) -> bool:
    return _epoch(moment) % DAY == 0


def ledger_figures(
    *,
    community: Community,
    filters: Filters,
    members: NDArray[np.int64],
    in_scope: NDArray[np.bool_],
    from_summary: bool,
) -> LedgerFigures:
    """The ledger's part of the report: from the summary kept as transfers complete (whole
    days, no service), or from the entries themselves (a service's transfers, or any period)."""
    if from_summary:
        return _from_summary(community, filters, members, in_scope)
    return _from_entries(community, filters, members, in_scope)


def _from_entries(
    community: Community,
    filters: Filters,
    members: NDArray[np.int64],
    in_scope: NDArray[np.bool_],
) -> LedgerFigures:
    start, end = _epoch(filters.start), _epoch(filters.end)
    length = end - start
    member_ids, member_area = members[:, 0], members[:, 1]
    rows = _entries(community, filters)
    transfer, user, amount, at, cat = (rows[:, i] for i in range(5))
    where = np.searchsorted(member_ids, user).clip(0, max(len(member_ids) - 1, 0))
    known = (member_ids[where] == user) if len(member_ids) else np.zeros(len(user), dtype=bool)
    scoped = known & in_scope[where] if len(member_ids) else known
    period = scoped & (at >= start) & (at < end)
    gave, got = period & (amount > 0), period & (amount < 0)
    active_users = np.unique(user[period])
    givers, receivers = np.unique(user[gave]), np.unique(user[got])
    both = np.intersect1d(givers, receivers)

    categories = []
    for n, key in enumerate(CATEGORIES):
        g, r = gave & (cat == n), got & (cat == n)
        categories.append(
            CategoryRow(
                key,
                str(Category(key).label),
                Cell(int(amount[g].sum()), _cell_people(user[g])),
                Cell(int(-amount[r].sum()), _cell_people(user[r])),
            )
        )
    months = []
    if gave.any():
        month = at[gave].astype("datetime64[s]").astype("datetime64[M]")
        for m in np.unique(month):
            this = month == m
            months.append(
                MonthRow(
                    str(m), Cell(int(amount[gave][this].sum()), _cell_people(user[gave][this]))
                )
            )

    first_at: dict[int, int] = {}
    if scoped.any():
        order = np.lexsort((at[scoped], user[scoped]))
        firsts, first_rows = np.unique(user[scoped][order], return_index=True)
        first_at = dict(zip(firsts.tolist(), at[scoped][order][first_rows].tolist(), strict=True))
    previous = scoped & (at >= start - length) & (at < start)
    before_users = np.unique(user[previous])
    again = np.intersect1d(before_users, active_users)

    src, dst, when = tie_pairs(transfer, user, amount, at)
    network = network_figures(
        member_ids=member_ids,
        member_area=member_area,
        in_scope=in_scope,
        src=src,
        dst=dst,
        at=when,
        start=start,
        end=end,
    )
    return LedgerFigures(
        active=len(active_users),
        givers=len(givers),
        receivers=len(receivers),
        both=len(both),
        given_minutes=int(amount[gave].sum()),
        received_minutes=int(-amount[got].sum()),
        categories=categories,
        months=months,
        first_at=first_at,
        before=len(before_users),
        again=len(again),
        network=network,
    )


MARKS = 1 << 25  # at most this many people × groups are marked in memory (32 MB)


def _by_group(
    group: NDArray[np.int64],
    minutes: NDArray[np.int64],
    person: NDArray[np.int64],
    mask: NDArray[np.bool_],
    width: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For each group 0..width-1 among the rows in `mask`: the minutes summed, and how many
    different people (positions) the rows are of."""
    group, minutes, person = group[mask], minutes[mask], person[mask]
    sums = np.zeros(width, dtype=np.int64)
    np.add.at(sums, group, minutes)
    if not len(person):
        return sums, np.zeros(width, dtype=np.int64)
    keys = person * width + group
    places = (int(person.max()) + 1) * width
    if places <= MARKS:
        # A mark for each person and group: a scatter, where finding distinct keys sorts.
        marked = np.zeros(places, dtype=bool)
        marked[keys] = True
        return sums, marked.reshape(-1, width).sum(axis=0)
    return sums, np.bincount(distinct(keys) % width, minlength=width)


# How `_from_summary` packs one summary row of the period into two integers, so that two
# 8-byte columns cross from the database instead of six: the member's id above the day of the
# period, its category of value and whether the member gave and received that day; and the
# minutes given above the minutes received. A member id stays below 2**39, a period below
# 2**16 days, and one member's minutes of one category on one day far below 2**32.
DAY_SHIFT, CATEGORY_SHIFT, USER_SHIFT, MINUTES_SHIFT = 8, 2, 24, 32
MAX_SUMMARY_DAYS = 1 << (USER_SHIFT - DAY_SHIFT)


def _from_summary(
    community: Community,
    filters: Filters,
    members: NDArray[np.int64],
    in_scope: NDArray[np.bool_],
) -> LedgerFigures:
    """Five reads of the summary's narrow rows, with no join: who gave and received how much
    on which day of the period, who was active in the period before it (their ids alone),
    members' first exchanges, the period's ties and its new ties. Rows of people outside the
    report's scope are dropped here, by position, which costs less than the database's test
    of every row against a subquery."""
    start, end = filters.start.date(), filters.end.date()
    member_ids, member_area = members[:, 0], members[:, 1]
    n = len(member_ids)

    def in_scope_at(user_ids: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        where, known = positions(member_ids, user_ids)
        return where, (known & in_scope[where]) if n else known

    def people(where: NDArray[np.int64]) -> NDArray[np.bool_]:
        # Members as positions 0..n-1: a distinct count is then a count of marked places,
        # where np.unique would sort or hash a million ids every time.
        marked = np.zeros(n, dtype=bool)
        marked[where] = True
        return marked

    category = Case(
        *(When(category=key, then=Value(n)) for n, key in enumerate(CATEGORIES)),
        default=Value(len(CATEGORIES) - 1),
        output_field=IntegerField(),
    )
    days = ValueDay.objects.filter(community=community).order_by()
    rows = _columns(
        days.filter(day__gte=start, day__lt=end),
        F("user_id") * (1 << USER_SHIFT)
        + (DayNumber("day") - Value(_epoch(filters.start) // DAY)) * (1 << DAY_SHIFT)
        + category * (1 << CATEGORY_SHIFT)
        + Case(When(given__gt=0, then=Value(2)), default=Value(0))
        + Case(When(received__gt=0, then=Value(1)), default=Value(0)),
        F("given_minutes") * (1 << MINUTES_SHIFT) + F("received_minutes"),
    )
    where, known = in_scope_at(rows[:, 0] >> USER_SHIFT)
    packed, minutes, where = rows[known, 0], rows[known, 1], where[known]
    day = (packed >> DAY_SHIFT) & (MAX_SUMMARY_DAYS - 1)
    cat = (packed >> CATEGORY_SHIFT) & ((1 << (DAY_SHIFT - CATEGORY_SHIFT)) - 1)
    given, received = minutes >> MINUTES_SHIFT, minutes & ((1 << MINUTES_SHIFT) - 1)
    gave, got = packed & 2 > 0, packed & 1 > 0
    givers, receivers = people(where[gave]), people(where[got])
    active = givers | receivers
    earlier, known = in_scope_at(
        _columns(days.filter(day__gte=start - (end - start), day__lt=start), F("user_id"))[:, 0]
    )
    before = people(earlier[known])
    width = len(CATEGORIES)
    given_by, givers_by = _by_group(cat, given, where, gave, width)
    received_by, receivers_by = _by_group(cat, received, where, got, width)
    categories = [
        CategoryRow(
            key,
            str(Category(key).label),
            Cell(int(given_by[c]), int(givers_by[c])),
            Cell(int(received_by[c]), int(receivers_by[c])),
        )
        for c, key in enumerate(CATEGORIES)
    ]
    first_month = np.datetime64(start, "M")
    month_number = ((np.datetime64(start, "D") + day).astype("datetime64[M]") - first_month).astype(
        np.int64
    )
    width = int(month_number[gave].max()) + 1 if gave.any() else 0
    given_in, givers_in = _by_group(month_number, given, where, gave, width)
    months = [
        MonthRow(str(first_month + m), Cell(int(given_in[m]), int(givers_in[m])))
        for m in np.flatnonzero(givers_in).tolist()
    ]
    firsts = _columns(
        FirstExchange.objects.filter(community=community, first_at__lt=filters.end).annotate(
            at=Epoch("first_at")
        ),
        F("user_id"),
        F("at"),
    )
    firsts = firsts[in_scope_at(firsts[:, 0])[1]]
    # A pair with exchanges on several days comes once a day; `tie_figures` keeps it once.
    ties = _columns(
        TieDay.objects.filter(community=community, day__gte=start, day__lt=end).order_by(),
        F("low_id"),
        F("high_id"),
    )
    new = _columns(
        TieFirst.objects.filter(community=community, first_day__gte=start, first_day__lt=end),
        F("low_id"),
        F("high_id"),
    )
    network = tie_figures(
        member_ids=member_ids,
        member_area=member_area,
        in_scope=in_scope,
        low=ties[:, 0],
        high=ties[:, 1],
        new_low=new[:, 0],
        new_high=new[:, 1],
    )
    return LedgerFigures(
        active=int(active.sum()),
        givers=int(givers.sum()),
        receivers=int(receivers.sum()),
        both=int((givers & receivers).sum()),
        given_minutes=int(given[gave].sum()),
        received_minutes=int(received[got].sum()),
        categories=categories,
        months=months,
        first_at=dict(zip(firsts[:, 0].tolist(), firsts[:, 1].tolist(), strict=True)),
        before=int(before.sum()),
        again=int((before & active).sum()),
        network=network,
    )


def indicators(*, community: Community, filters: Filters) -> Indicators:
    """Every figure of the evidence report, in a fixed number of queries."""
    start, end = _epoch(filters.start), _epoch(filters.end)
    members = _members(community, filters.end)
    member_ids, joined = members[:, 0], members[:, 2]
    in_scope = _scope(community, filters, members)
    ledger = ledger_figures(
        community=community,
        filters=filters,
        members=members,
        in_scope=in_scope,
        from_summary=(
            filters.service is None
            and _midnight(filters.start)
            and _midnight(filters.end)
            and (filters.end - filters.start).days < MAX_SUMMARY_DAYS
            and (len(member_ids) == 0 or int(member_ids[-1]) < 1 << (63 - USER_SHIFT))
        ),
    )
    # Time to first exchange, for members who joined in the period.
    newcomers = in_scope & (joined >= start) & (joined < end)
    first_at = ledger.first_at
    days = [
        max(0, first_at[u] - j) / DAY
        for u, j in zip(member_ids[newcomers].tolist(), joined[newcomers].tolist(), strict=True)
        if u in first_at and first_at[u] < end
    ]
    changes, responses_in_period = _changes(community, filters)
    settings = EvidenceSettings.objects.filter(community=community).first() or EvidenceSettings(
        community=community
    )
    index: IndexResult | None = None
    if filters.service is not None:
        index = service_index(service=filters.service, start=filters.start, end=filters.end)
    elif filters.neighbourhood is None:
        index = community_index(community=community, start=filters.start, end=filters.end)
    n_active = ledger.active
    return Indicators(
        filters=filters,
        members=Cell(int(in_scope.sum()), int(in_scope.sum())),
        active=Cell(n_active, n_active),
        given_minutes=Cell(ledger.given_minutes, ledger.givers),
        received_minutes=Cell(ledger.received_minutes, ledger.receivers),
        givers=Cell(ledger.givers, ledger.givers),
        receivers=Cell(ledger.receivers, ledger.receivers),
        reciprocity=Cell(ledger.both / n_active if n_active else None, n_active),
        categories=ledger.categories,
        months=ledger.months,
        new_members=Cell(int(newcomers.sum()), int(newcomers.sum())),
        new_exchanged=Cell(len(days), len(days)),
        median_days_to_first=Cell(float(np.median(days)) if days else None, len(days)),
        retention_base=Cell(ledger.before, ledger.before),
        retained=Cell(ledger.again / ledger.before if ledger.before else None, ledger.before),
        network=ledger.network,
        changes=changes,
        index=index,
        social=_social(settings, ledger.given_minutes, changes),
        responses_in_period=responses_in_period,
        settings=settings,
    )


def index_rows(index: IndexResult | None) -> list[tuple[str, float | None]]:
    """The six co-production index components in their fixed order (None: no evidence yet)."""
    if index is None:
        return []
    return [(heading, index.components[heading].value) for heading in HEADINGS]


def default_period(now: datetime) -> tuple[datetime, datetime]:
    """The last twelve months up to the end of today (UTC)."""
    end = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return end - timedelta(days=365), end


def describe(filters: Filters) -> str:
    parts = [
        _("%(a)s to %(b)s")
        % {"a": filters.start.date(), "b": (filters.end - timedelta(days=1)).date()}
    ]
    if filters.service is not None:
        parts.append(_("service: %(s)s") % {"s": filters.service.title})
    if filters.neighbourhood is not None:
        parts.append(_("neighbourhood: %(n)s") % {"n": filters.neighbourhood.name})
    return "; ".join(parts)


@dataclass(frozen=True)
class Due:
    questionnaire: Questionnaire
    occasion: str
    service: Service | None = None

    @property
    def label(self) -> str:
        return str(Response.Occasion(self.occasion).label)


def due_for(*, membership: Membership, now: datetime) -> list[Due]:
    """What the person is asked to answer now: on joining, every six months (from their last
    answer), and at the start and end of each service they take part in. Five queries."""
    from coproduce.coproduction.models import Attendance, RoleAssignment

    community_id, person = membership.community_id, membership.user_id
    questionnaires = [
        q
        for q in Questionnaire.objects.filter(community_id=community_id, active=True).order_by(
            "instrument", "id"
        )
        if q.ready
    ]
    answered: dict[int, set[str]] = defaultdict(set)
    last: dict[int, datetime] = {}
    for q_id, key, at in Response.objects.filter(
        community_id=community_id, person_id=person
    ).values_list("questionnaire_id", "occasion_key", "answered_at"):
        answered[q_id].add(key)
        last[q_id] = max(last.get(q_id, at), at)
    service_ids = set(
        RoleAssignment.objects.filter(
            community_id=community_id,
            person_id=person,
            state__in=[RoleAssignment.State.ACCEPTED, RoleAssignment.State.ENDED],
        ).values_list("role__service_id", flat=True)
    ) | set(
        Attendance.objects.filter(community_id=community_id, person_id=person).values_list(
            "session__service_id", flat=True
        )
    )
    services = list(
        Service.objects.filter(community_id=community_id, pk__in=service_ids).order_by(
            "title", "id"
        )
    )
    due: list[Due] = []
    for q in questionnaires:
        keys = answered[q.pk]
        if q.on_joining and not keys:
            due.append(Due(q, Response.Occasion.JOINING))
        elif q.every_six_months and q.pk in last and now - last[q.pk] >= timedelta(days=182):
            due.append(Due(q, Response.Occasion.SIX_MONTHLY))
        if q.at_services:
            for service in services:
                if f"start:{service.pk}" not in keys and service.status != Service.Status.ENDED:
                    due.append(Due(q, Response.Occasion.SERVICE_START, service))
                elif (
                    f"start:{service.pk}" in keys
                    and f"end:{service.pk}" not in keys
                    and service.status == Service.Status.ENDED
                ):
                    due.append(Due(q, Response.Occasion.SERVICE_END, service))
    return due
