"""Open listings within 2 km of a point, among 20,000: bounding box in SQL against a Python scan."""

import random

from bench import Result, _fixtures, median_seconds
from coproduce.exchanges.models import Listing
from coproduce.exchanges.selectors import (
    ListingFilters,
    listing_rows,
    listings_search,
    listings_visible,
)
from coproduce.exchanges.services import listings_import
from coproduce.lib.geo import Point
from coproduce.lib.weekly import windows_to_json
from coproduce.people.models import Consent
from coproduce.people.services import people_import
from coproduce.web import demo

PEOPLE = 10_000
LISTINGS = 20_000
WITHIN_KM = 2
RUNS = 5


def run() -> list[Result]:
    admin = _fixtures.admin()
    community = _fixtures.community(admin)
    rows = demo.person_rows(community=community, count=PEOPLE)
    for row in rows:  # the coordinator imports the listings, so everyone has agreed to that
        if Consent.Purpose.BROKER_ENTRY not in row.consents:
            row.consents.append(Consent.Purpose.BROKER_ENTRY)
    people = list(
        zip(people_import(community=community, rows=rows, recorded_by=admin), rows, strict=True)
    )
    rng = random.Random(1)
    listings = []
    for n in range(LISTINGS):
        user, row = rng.choice(people)
        skill, _confidence = rng.choice(row.skills)
        point = row.point
        if point is None and row.neighbourhood is not None:
            point = (row.neighbourhood.lat, row.neighbourhood.lng)
        listings.append(
            Listing(
                kind=rng.choice(Listing.Kind.values),
                owner=user,
                title=f"{skill.name} ({n})",
                skill=skill,
                lat=point[0] if point else None,
                lng=point[1] if point else None,
                neighbourhood=row.neighbourhood,
                windows=windows_to_json(row.windows[:2]),
            )
        )
    listings_import(community=community, rows=listings, recorded_by=admin)

    old_town = community.neighbourhoods.get(name="Old Town")
    filters = ListingFilters(origin=Point(old_town.lat, old_town.lng), within_km=WITHIN_KM)
    found = {
        "scan": len(listing_rows(listings_visible(community=community), filters)),
        "box": len(listing_rows(listings_search(community=community, filters=filters), filters)),
    }
    if found["scan"] != found["box"]:
        raise AssertionError(f"The two ways found different listings: {found}")

    def scan() -> None:
        listing_rows(listings_visible(community=community), filters)

    def box() -> None:
        listing_rows(listings_search(community=community, filters=filters), filters)

    return [
        Result(
            name=f"open listings within {WITHIN_KM} km, among {LISTINGS:,}",
            baseline="load every open listing, filter by distance in Python",
            candidate="`listings_search` bounding box in SQL, then distance",
            baseline_seconds=median_seconds(scan, runs=RUNS),
            candidate_seconds=median_seconds(box, runs=RUNS),
            runs=RUNS,
            how=(
                f"{LISTINGS:,} open listings of {PEOPLE:,} demo residents spread over Riverside "
                f"(about 9 by 8 km); {found['box']:,} lie within {WITHIN_KM} km of Old Town. Both "
                "sides use the listings page's own selectors and `listing_rows` (haversine "
                "distance); the candidate first narrows to the bounding box with the "
                "(community, lat, lng) index."
            ),
        )
    ]
