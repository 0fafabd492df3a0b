"""The demo community publishes its co-produced services in the open HSDS directory."""

import random
from dataclasses import dataclass
from datetime import date

from coproduce.communities.models import Community
from coproduce.coproduction.models import Service
from coproduce.directory.services import directory_publish_set
from coproduce.people.models import User


@dataclass(frozen=True)
class DirectorySummary:
    published: bool
    services: int


def build(
    *, community: Community, personas: dict[str, User], rng: random.Random, today: date
) -> DirectorySummary:
    """Turn publishing on, as the demo's coordinator; `rng` and `today` are unused (nothing random)."""
    settings = directory_publish_set(
        community=community, publish=True, changed_by=personas["coordinator"]
    )
    return DirectorySummary(
        published=settings.publish,
        services=Service.objects.filter(community=community).count(),
    )
