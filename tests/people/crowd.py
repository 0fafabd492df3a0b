"""Many people at once, for the tests that compare query counts on 3 and 30 rows."""

from coproduce.communities.models import Community, Neighbourhood
from coproduce.lib.weekly import Window
from coproduce.people.models import Skill, User
from coproduce.people.services import PersonRow, people_import


def add_people(
    community: Community,
    recorded_by: User,
    count: int,
    *,
    consents: tuple[str, ...] = ("directory",),
    prefix: str = "p",
) -> list[User]:
    """`count` active members with a neighbourhood, two skills, a thing, availability, consents."""
    neighbourhood = Neighbourhood.objects.filter(community=community).first()
    skills = list(Skill.objects.filter(community=community)[:2])
    rows = [
        PersonRow(
            display_name=f"Person {prefix}{i}",
            email=f"{prefix}{i}@crowd.example.org",
            neighbourhood=neighbourhood,
            skills=[(skill, "capable") for skill in skills],
            things=["Ladder"],
            windows=[Window(0, 540, 720)],
            consents=list(consents),
        )
        for i in range(count)
    ]
    return people_import(community=community, rows=rows, recorded_by=recorded_by)
