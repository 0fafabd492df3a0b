"""What belongs to one community, found by walking the app registry rather than a kept list.

Three kinds of row go into a community's archive:

1. *Owned* rows: every row of every model with a foreign key to `Community` that points at
   this community (and the community's own row).
2. *Referenced* rows: every row that an archived row points at, followed to the end — the
   people who are members or who are named by the community's rows (recorders, authors,
   former members), and any global row they point at.
3. *Dependent* rows of models that have no community of their own: rows that point at an
   archived row — a person's profile, e-mail addresses, second factors, API tokens.

Rows that a target database makes for itself (content types, permissions) are never
archived; rows that point at them are written with natural keys. Rows that are not data
(sessions, admin log, task results, e-mail confirmation keys) are left out: see
docs/backup.md.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any, cast

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models

from coproduce.communities.models import Community

# Made by `coproduce migrate` on every database, with ids of their own: referred to by
# natural key (["ledger", "transfer"]), never copied.
NATURAL: frozenset[type[models.Model]] = frozenset({ContentType, Permission})

# Not community data: a browser's sign-in, the admin site's own log, queued work, and
# one-time e-mail confirmation keys (they expire in days; a person asks for a new one).
EXCLUDED: frozenset[str] = frozenset(
    {
        "sessions.session",
        "admin.logentry",
        "django_tasks_database.dbtaskresult",
        "account.emailconfirmation",
    }
)

CHUNK = 500

Adder = Callable[[type[models.Model], Iterable[Any]], None]


class ScopeError(Exception):
    """The community's rows point outside it in a way an archive cannot carry."""


def archived_models() -> list[type[models.Model]]:
    """Every model whose rows may go into an archive: concrete tables that hold data."""
    return [
        model
        for model in apps.get_models()
        if not model._meta.proxy
        and model._meta.managed
        and model not in NATURAL
        and model._meta.label_lower not in EXCLUDED
    ]


def _relations(model: type[models.Model]) -> list[models.ForeignKey]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model is not None
    ]


def _through(field: models.ManyToManyField) -> type[models.Model]:
    return cast(type[models.Model], field.remote_field.through)


def _m2m(model: type[models.Model]) -> list[models.ManyToManyField]:
    """Many-to-many fields with Django's own link table (a model of its own is walked as one)."""
    return [
        f
        for f in model._meta.local_many_to_many
        if isinstance(f, models.ManyToManyField) and _through(f)._meta.auto_created
    ]


def community_fields(model: type[models.Model]) -> list[str]:
    """The model's foreign keys to Community (by attribute name): how it names its tenant."""
    return [f.attname for f in _relations(model) if f.related_model is Community]


def load_order(selected: Iterable[type[models.Model]]) -> list[type[models.Model]]:
    """The models in an order in which every row's targets come before it.

    Django's `serializers.sort_dependencies` orders only by natural-key dependencies, and
    these rows refer to each other by primary key, so the whole foreign-key graph is sorted
    here (self-references aside). Both databases check foreign keys at commit, so the order
    is a courtesy to readers and other tools; if nullable keys ever form a cycle, only the
    required ones decide the order.
    """
    chosen = sorted(selected, key=lambda m: m._meta.label_lower)
    members = set(chosen)

    def graph(required_only: bool) -> dict[type[models.Model], set[type[models.Model]]]:
        return {
            model: {
                f.related_model  # type: ignore[misc]
                for f in _relations(model)
                if f.related_model in members
                and f.related_model is not model
                and not (required_only and f.null)
            }
            for model in chosen
        }

    try:
        return list(TopologicalSorter(graph(required_only=False)).static_order())
    except CycleError:
        return list(TopologicalSorter(graph(required_only=True)).static_order())


@dataclass
class Scope:
    """The primary keys of every archived row, by model."""

    community: Community
    rows: dict[type[models.Model], set[Any]] = field(default_factory=dict)

    def ordered(self) -> list[type[models.Model]]:
        return load_order(model for model, pks in self.rows.items() if pks)

    def count(self, model: type[models.Model]) -> int:
        return len(self.rows.get(model, ()))

    def querysets(self, model: type[models.Model]) -> Iterator[models.QuerySet[models.Model]]:
        """The model's archived rows in primary-key order, a chunk at a time."""
        pks = sorted(self.rows.get(model, ()))
        natural = [f.name for f in _relations(model) if f.related_model in NATURAL]
        for start in range(0, len(pks), CHUNK):
            qs = model._base_manager.filter(pk__in=pks[start : start + CHUNK]).order_by("pk")
            yield qs.select_related(*natural) if natural else qs


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    items = list(values)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def scope_collect(*, community: Community) -> Scope:
    """Find every row of the community's archive (see the module's docstring)."""
    scope = Scope(community=community)
    candidates = archived_models()
    owned_models = {m for m in candidates if m is Community or community_fields(m)}
    new: dict[type[models.Model], set[Any]] = {}

    def add(model: type[models.Model], pks: Iterable[Any]) -> None:
        fresh = set(pks) - scope.rows.setdefault(model, set())
        if fresh:
            scope.rows[model] |= fresh
            new.setdefault(model, set()).update(fresh)

    for model in owned_models:
        if model is Community:
            add(model, [community.pk])
            continue
        q = models.Q()
        for attname in community_fields(model):
            q |= models.Q(**{attname: community.pk})
        add(model, model._base_manager.filter(q).values_list("pk", flat=True))

    while new:
        batch, new = new, {}
        # Upwards: what the new rows point at.
        for model, pks in batch.items():
            relations = [f for f in _relations(model) if f.related_model not in NATURAL]
            for chunk in _chunks(pks):
                if relations:
                    rows = model._base_manager.filter(pk__in=chunk).values_list(
                        *[f.attname for f in relations]
                    )
                    for values in rows:
                        for f, value in zip(relations, values, strict=True):
                            if value is not None:
                                _refer(scope, owned_models, f.related_model, value, add)  # type: ignore[arg-type]
                for m2m in _m2m(model):
                    target = m2m.related_model
                    if target in NATURAL:
                        continue
                    through = _through(m2m)
                    source = m2m.m2m_field_name()
                    reverse = m2m.m2m_reverse_field_name()
                    for value in through._default_manager.filter(
                        **{f"{source}__in": chunk}
                    ).values_list(f"{reverse}_id", flat=True):
                        _refer(scope, owned_models, target, value, add)  # type: ignore[arg-type]
        # Downwards: rows of community-less models that point at the new rows.
        for model in candidates:
            if model in owned_models:
                continue
            for f in _relations(model):
                pointed = batch.get(f.related_model)  # type: ignore[arg-type]
                if not pointed:
                    continue
                for chunk in _chunks(pointed):
                    add(
                        model,
                        model._base_manager.filter(**{f"{f.attname}__in": chunk}).values_list(
                            "pk", flat=True
                        ),
                    )
    return scope


def _refer(
    scope: Scope,
    owned_models: set[type[models.Model]],
    target: type[models.Model],
    pk: Any,
    add: Adder,
) -> None:
    if pk in scope.rows.get(target, ()):
        return
    if target in owned_models:
        # Tenancy: a community's rows point only at its own rows or at global ones.
        raise ScopeError(
            f"A row of {scope.community.slug!r} points at {target._meta.label} #{pk}, "
            "which belongs to another community."
        )
    add(target, [pk])
