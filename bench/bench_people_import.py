"""Adding 1,000 people: `people_import` (bulk) against one by one through the services."""

from bench import Result, _fixtures, median_seconds
from coproduce.communities.models import Community
from coproduce.communities.services import membership_apply, membership_approve
from coproduce.people.models import Asset, User
from coproduce.people.services import (
    PersonRow,
    asset_add,
    availability_set,
    consent_give,
    location_set,
    people_import,
    profile_update,
)
from coproduce.web import demo

PEOPLE = 1000
RUNS = 3


def one_by_one(*, community: Community, rows: list[PersonRow], recorded_by: User) -> None:
    """What a coordinator's page would do for each person, a service call at a time."""
    for row in rows:
        user = User.objects.create_user(row.email, None)
        profile_update(
            user=user, display_name=row.display_name, bio=row.bio, languages=row.languages
        )
        membership = membership_apply(community=community, user=user)
        membership = membership_approve(membership=membership, approved_by=recorded_by)
        location_set(membership=membership, point=row.point, neighbourhood=row.neighbourhood)
        for skill, confidence in row.skills:
            asset_add(
                community=community,
                user=user,
                kind=Asset.Kind.SKILL,
                skill=skill,
                confidence=confidence,
            )
        for title in row.things:
            asset_add(community=community, user=user, kind=Asset.Kind.THING, title=title)
        for title in row.interests:
            asset_add(
                community=community, user=user, kind=Asset.Kind.INTEREST, title=title, offered=False
            )
        availability_set(community=community, user=user, windows=row.windows)
        for purpose in row.consents:
            consent_give(community=community, user=user, purpose=purpose, recorded_by=recorded_by)


class _Fresh:
    """A new community and new people for every run, so that each run adds the same work."""

    def __init__(self, admin: User) -> None:
        self.admin = admin
        self.runs = 0
        self.community = Community()
        self.rows: list[PersonRow] = []

    def prepare(self) -> None:
        self.runs += 1
        self.community = _fixtures.community(self.admin)
        self.rows = demo.person_rows(community=self.community, count=PEOPLE)
        for row in self.rows:
            row.email = f"run{self.runs}.{row.email}" if row.email else None

    def one_by_one(self) -> None:
        one_by_one(community=self.community, rows=self.rows, recorded_by=self.admin)

    def bulk(self) -> None:
        people_import(community=self.community, rows=self.rows, recorded_by=self.admin)


def run() -> list[Result]:
    fresh = _Fresh(_fixtures.admin())
    baseline_seconds = median_seconds(fresh.one_by_one, runs=RUNS, prepare=fresh.prepare)
    candidate_seconds = median_seconds(fresh.bulk, runs=RUNS, prepare=fresh.prepare)
    return [
        Result(
            name=f"adding {PEOPLE:,} people with their skills, things, times and consents",
            baseline="one by one through the services",
            candidate="`people_import` (bulk)",
            baseline_seconds=baseline_seconds,
            candidate_seconds=candidate_seconds,
            runs=RUNS,
            how=(
                f"{PEOPLE:,} demo residents (1 to 5 skills, things, interests, weekly windows,"
                " consents) into a fresh community each run. Baseline: `create_user`,"
                " `profile_update`, `membership_apply` + `membership_approve`, `location_set`,"
                " `asset_add` for each asset, `availability_set`, `consent_give` for each"
                " consent, each committing on its own as a coordinator's page would. Candidate:"
                " one `people_import` call (validated, bulk inserts in one transaction). Row"
                " generation is not timed."
            ),
        )
    ]
