"""Communities for the benchmarks, made as the demo makes Riverside (through the services)."""

from itertools import count

from coproduce.communities.models import Community
from coproduce.communities.services import community_create, neighbourhood_add
from coproduce.people.models import User
from coproduce.people.services import profile_update
from coproduce.web import demo

_numbers = count(1)


def admin() -> User:
    user = User.objects.create_user(f"bench-admin-{next(_numbers)}@bench.example", None)
    profile_update(user=user, display_name="Bench Admin")
    return user


def community(created_by: User) -> Community:
    """A fresh community with Riverside's bounds and neighbourhoods."""
    number = next(_numbers)
    made = community_create(
        name=f"Bench {number}",
        slug=f"bench-{number}",
        centre=demo.CENTRE,
        bounds=demo.BOUNDS,
        created_by=created_by,
    )
    for name, lat, lng in demo.NEIGHBOURHOODS:
        neighbourhood_add(community=made, name=name, lat=lat, lng=lng)
    return made
