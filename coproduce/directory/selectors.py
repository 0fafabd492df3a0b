"""What the directory publishes: querysets over the communities that opted in, and their HSDS form.

Every queryset starts from `published_communities()`, so a community that has not opted in
(or turned publishing off) is absent from every list, filter and `{id}` lookup. Each list
is one count query, one page query and at most one prefetch, whatever the page size.

Mapping (see docs/directory.md):
  coproduction Service  → HSDS service; its one service_at_location and location
  communities Organisation → HSDS organization; the Community itself → the organization
      of services that residents run without an organisation
  the community's skill taxonomy → one HSDS taxonomy; each SkillCategory → a taxonomy term
  a ServiceRole that needs a skill → an attribute linking the service to that skill's category
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext as _

from coproduce.communities.models import Community, Organisation
from coproduce.coproduction.models import Service, ServiceLead, ServiceRole, Session
from coproduce.directory.ids import Kind, encode
from coproduce.people.models import SkillCategory

HSDS_STATUS = {
    Service.Status.PLANNING: "inactive",
    Service.Status.RUNNING: "active",
    Service.Status.PAUSED: "temporarily closed",
    Service.Status.ENDED: "defunct",
}
# Positions are published to two decimal places (about 1 km): where a neighbourhood or
# community is, never where anyone lives.
COORDINATE_PLACES = 2

# Querysets ---------------------------------------------------------------------------


def published_communities() -> QuerySet[Community]:
    return Community.objects.filter(directory_settings__publish=True)


def _published(field: str = "community") -> Q:
    return Q(**{f"{field}__directory_settings__publish": True})


def services() -> QuerySet[Service]:
    """Published services with `last_modified` and `place` annotated and their parts loaded."""
    changed = F("updated_at")
    latest = {
        model: model.objects.filter(service=OuterRef("pk"))
        .order_by("-updated_at")
        .values("updated_at")[:1]
        for model in (ServiceRole, ServiceLead, Session)
    }
    # The place most of its scheduled sessions meet at (ties: the first alphabetically).
    place = (
        Session.objects.filter(service=OuterRef("pk"), state=Session.State.SCHEDULED)
        .exclude(location="")
        .order_by()
        .values("location")
        .annotate(times=Count("id"))
        .order_by("-times", "location")
        .values("location")[:1]
    )
    return (
        Service.objects.filter(_published())
        .select_related("community", "proposal__neighbourhood")
        .annotate(
            # When anything of its record changed: the service, a role (its taxonomy terms),
            # a lead (its organisation) or a session (its place).
            last_modified=Greatest(
                changed,
                *(Coalesce(Subquery(q), changed) for q in latest.values()),
                output_field=DateTimeField(),
            ),
            place=Subquery(place),
        )
        .prefetch_related(
            Prefetch(
                "leads",
                queryset=ServiceLead.objects.filter(organisation__isnull=False)
                .select_related("organisation")
                .order_by("id"),
                to_attr="organisation_leads",
            )
        )
        .order_by("title", "id")
    )


def with_roles(queryset: QuerySet[Service]) -> QuerySet[Service]:
    """Also load the roles that name a skill, for the service's taxonomy attributes."""
    return queryset.prefetch_related(
        Prefetch(
            "roles",
            queryset=ServiceRole.objects.filter(skill__isnull=False)
            .select_related("skill__category", "community")
            .order_by("id"),
            to_attr="skilled_roles",
        )
    )


def services_filtered(
    queryset: QuerySet[Service],
    *,
    search: str = "",
    term_pk: int | None = None,
    term_given: bool = False,
    taxonomy_pk: int | None = None,
    taxonomy_given: bool = False,
    organisation: tuple[Kind, int] | None = None,
    organisation_given: bool = False,
    modified_after: datetime | None = None,
) -> QuerySet[Service]:
    """Apply the HSDS filters cumulatively (AND); an id that names nothing matches nothing."""
    if search:
        queryset = queryset.filter(Q(title__icontains=search) | Q(description__icontains=search))
    if term_given:
        queryset = queryset.filter(
            pk__in=ServiceRole.objects.filter(skill__category_id=term_pk or 0).values("service_id")
        )
    if taxonomy_given:
        queryset = queryset.filter(
            community_id=taxonomy_pk or 0,
            pk__in=ServiceRole.objects.filter(skill__isnull=False).values("service_id"),
        )
    if organisation_given:
        if organisation is None:
            queryset = queryset.none()
        elif organisation[0] is Kind.ORGANISATION:
            queryset = queryset.filter(
                pk__in=ServiceLead.objects.filter(organisation_id=organisation[1]).values(
                    "service_id"
                )
            )
        else:
            queryset = queryset.filter(community_id=organisation[1]).exclude(
                Exists(
                    ServiceLead.objects.filter(service=OuterRef("pk"), organisation__isnull=False)
                )
            )
    if modified_after is not None:
        # Each table's own indexed `updated_at`, rather than the computed `last_modified`.
        queryset = queryset.filter(
            Q(updated_at__gte=modified_after)
            | Exists(
                ServiceRole.objects.filter(service=OuterRef("pk"), updated_at__gte=modified_after)
            )
            | Exists(
                ServiceLead.objects.filter(service=OuterRef("pk"), updated_at__gte=modified_after)
            )
            | Exists(Session.objects.filter(service=OuterRef("pk"), updated_at__gte=modified_after))
        )
    return queryset


def organisations() -> QuerySet[Organisation]:
    return Organisation.objects.filter(_published()).order_by("name", "id")


def organisations_filtered(queryset: QuerySet[Organisation], search: str) -> QuerySet[Organisation]:
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(description__icontains=search))
    return queryset


def communities_filtered(queryset: QuerySet[Community], search: str) -> QuerySet[Community]:
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(description__icontains=search))
    return queryset.order_by("name", "id")


def categories() -> QuerySet[SkillCategory]:
    return (
        SkillCategory.objects.filter(_published())
        .select_related("community")
        .order_by("community__name", "position", "name", "id")
    )


def categories_filtered(
    queryset: QuerySet[SkillCategory],
    *,
    search: str = "",
    taxonomy_pk: int | None = None,
    taxonomy_given: bool = False,
) -> QuerySet[SkillCategory]:
    if search:
        queryset = queryset.filter(name__icontains=search)
    if taxonomy_given:
        queryset = queryset.filter(community_id=taxonomy_pk or 0)
    return queryset


# HSDS form ---------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    return moment.isoformat()


def _primary_organisation(service: Service) -> Organisation | None:
    leads: Sequence[ServiceLead] = getattr(service, "organisation_leads", ())
    return leads[0].organisation if leads else None


def organization_id(service: Service) -> str:
    organisation = _primary_organisation(service)
    if organisation is not None:
        return encode(Kind.ORGANISATION, organisation.pk)
    return encode(Kind.COMMUNITY, service.community_id)


def service_brief(service: Service) -> dict[str, Any]:
    """A service in a list: its one-to-one fields only (compiled/service_list.json)."""
    item: dict[str, Any] = {
        "id": encode(Kind.SERVICE, service.pk),
        "organization_id": organization_id(service),
        "name": service.title,
        "description": service.description,
        "status": HSDS_STATUS[Service.Status(service.status)],
        "last_modified": _when(service.last_modified),  # type: ignore[attr-defined]
    }
    return item


def location(service: Service) -> dict[str, Any]:
    """Where a service happens, coarsely, and never a member's own place.

    The name is the place its sessions meet when an organisation runs it (a library, a
    café); a service that residents run alone may meet in someone's home, so it shows only
    its neighbourhood or its community. The position is the neighbourhood's or the
    community's centre, to about 1 km.
    """
    community = service.community
    neighbourhood = service.proposal.neighbourhood if service.proposal else None
    place: str | None = getattr(service, "place", None)
    if place and _primary_organisation(service) is not None:
        name = place
    elif neighbourhood is not None:
        name = neighbourhood.name
    else:
        name = community.name
    lat, lng = (
        (neighbourhood.lat, neighbourhood.lng)
        if neighbourhood is not None
        else (community.centre_lat, community.centre_lng)
    )
    where = neighbourhood.name if neighbourhood is not None else community.name
    return {
        "id": encode(Kind.LOCATION, service.pk),
        "location_type": "physical",
        "name": name,
        "description": _("The position is the centre of %(place)s, to about 1 km.")
        % {"place": where},
        "latitude": round(lat, COORDINATE_PLACES),
        "longitude": round(lng, COORDINATE_PLACES),
    }


def service_at_location(service: Service, *, nested_service: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": encode(Kind.SERVICE_AT_LOCATION, service.pk),
        "service_id": encode(Kind.SERVICE, service.pk),
        "location_id": encode(Kind.LOCATION, service.pk),
        "location": location(service),
    }
    if nested_service:
        item["service"] = service_brief(service)
    return item


def taxonomy(community: Community) -> dict[str, Any]:
    return {
        "id": encode(Kind.TAXONOMY, community.pk),
        "name": _("%(community)s skills") % {"community": community.name},
        "description": _(
            "The categories of skills that members of %(community)s offer and that its "
            "co-produced services need."
        )
        % {"community": community.name},
    }


def taxonomy_term(category: SkillCategory, *, detail: bool = False) -> dict[str, Any]:
    community = category.community
    item: dict[str, Any] = {
        "id": encode(Kind.TERM, category.pk),
        "code": category.slug,
        "name": category.name,
        "description": _("Skills of the category “%(category)s” in %(community)s.")
        % {"category": category.name, "community": community.name},
        "taxonomy": _("%(community)s skills") % {"community": community.name},
        "taxonomy_id": encode(Kind.TAXONOMY, community.pk),
    }
    if detail:
        item["taxonomy_detail"] = taxonomy(community)
    return item


def attributes(service: Service) -> list[dict[str, Any]]:
    """One attribute per role that needs a skill: the service is tagged with the skill's category."""
    roles: Sequence[ServiceRole] = getattr(service, "skilled_roles", ())
    items = []
    for role in roles:
        assert role.skill is not None  # the prefetch keeps only roles with a skill
        items.append(
            {
                "id": encode(Kind.ATTRIBUTE, role.pk),
                "link_id": encode(Kind.SERVICE, service.pk),
                "link_type": "service_role",
                "link_entity": "service",
                "value": f"{role.title}: {role.skill.name}",
                "taxonomy_term_id": encode(Kind.TERM, role.skill.category_id),
                "taxonomy_term": taxonomy_term(role.skill.category),
            }
        )
    return items


def organization_brief(organisation: Organisation) -> dict[str, Any]:
    """An organisation's one-to-one fields (compiled/organization_list.json)."""
    item: dict[str, Any] = {
        "id": encode(Kind.ORGANISATION, organisation.pk),
        "name": organisation.name,
        "description": organisation.description,
    }
    if organisation.email:
        item["email"] = organisation.email
    if organisation.website:
        item["website"] = organisation.website
    return item


def organization_full(organisation: Organisation) -> dict[str, Any]:
    item = organization_brief(organisation)
    if organisation.phone:
        item["phones"] = [
            {
                "id": encode(Kind.ORGANISATION_PHONE, organisation.pk),
                "organization_id": item["id"],
                "number": organisation.phone,
            }
        ]
    return item


def community_organization(community: Community) -> dict[str, Any]:
    """The community itself, as the organization of the services its residents run."""
    return {
        "id": encode(Kind.COMMUNITY, community.pk),
        "name": community.name,
        "description": community.description
        or _("The residents of %(community)s, who run some services themselves.")
        % {"community": community.name},
    }


def service_full(service: Service) -> dict[str, Any]:
    """A service with its organization, where it happens and its taxonomy terms (compiled/service.json)."""
    item = service_brief(service)
    organisation = _primary_organisation(service)
    item["organization"] = (
        organization_full(organisation)
        if organisation is not None
        else community_organization(service.community)
    )
    item["service_at_locations"] = [service_at_location(service)]
    item["attributes"] = attributes(service)
    return item
