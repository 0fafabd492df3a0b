"""What must be the same after a restore: row counts, balances, the ledger's proof, and pages.

Taken in the test process for the source and, through `coproduce shell -c` and `main`, in a
process on the restored database; the two are equal when the restore is whole.
"""

import difflib
import json
import re
import sys
from typing import Any

from django.db.models import Count, Q, Sum
from django.test import Client
from django.urls import reverse

from coproduce.audit.models import AuditEvent
from coproduce.backup.scope import scope_collect
from coproduce.communities.models import Community, Membership, Role
from coproduce.coproduction.models import Service
from coproduce.insight.models import ReportPhoto
from coproduce.ledger.models import Account, Entry, Transfer
from coproduce.ledger.verify import ledger_verify

# Per-render values that differ between any two requests for the same page.
VOLATILE = [
    re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*'),
    re.compile(r'(nonce=")[^"]*'),
    re.compile(r'(csrf[-_]token"? content=")[^"]*'),
    re.compile(r'(name="idempotency_key" value=")[^"]*'),
]


def _normalise(html: str) -> str:
    for pattern in VOLATILE:
        html = pattern.sub(r"\1…", html)
    return html


def _pages(community: Community) -> dict[str, Any]:
    slug = community.slug
    # A coordinator sees the community-wide pages (an administrator would first be sent to
    # set up two-factor sign-in); the busiest member sees a long statement.
    coordinator = (
        Membership.objects.filter(community=community, role=Role.COORDINATOR).order_by("pk").first()
    )
    busiest = (
        Account.objects.filter(community=community, kind=Account.Kind.MEMBER)
        .annotate(n=Count("entries"))
        .order_by("-n", "pk")
        .first()
    )
    assert coordinator is not None and busiest is not None and busiest.user is not None
    service = Service.objects.filter(community=community).order_by("pk").first()
    photo = ReportPhoto.objects.filter(community=community).order_by("pk").first()
    views: list[tuple[str, Any, str]] = [
        ("coordinator", coordinator.user, reverse("ledger:overview", kwargs={"slug": slug})),
        ("coordinator", coordinator.user, reverse("coproduction:services", kwargs={"slug": slug})),
        ("coordinator", coordinator.user, reverse("insight:reports", kwargs={"slug": slug})),
        ("member", busiest.user, reverse("ledger:balance", kwargs={"slug": slug})),
        ("member", busiest.user, reverse("ledger:statement_csv", kwargs={"slug": slug})),
    ]
    if service is not None:
        views.append(
            (
                "coordinator",
                coordinator.user,
                reverse("coproduction:service", kwargs={"slug": slug, "pk": service.pk}),
            )
        )
    if photo is not None:
        views.append(
            (
                "coordinator",
                coordinator.user,
                reverse("insight:report", kwargs={"slug": slug, "pk": photo.report_id}),
            )
        )
    pages = {}
    for who, user, url in views:
        client = Client()
        client.force_login(user)
        response = client.get(url)
        pages[f"{who} {url}"] = [response.status_code, _normalise(response.content.decode())]
    return pages


def snapshot(slug: str) -> dict[str, Any]:
    community = Community.objects.get(slug=slug)
    scope = scope_collect(community=community)
    counts = {model._meta.label_lower: scope.count(model) for model in scope.ordered()}
    # The restore adds its own audit event ("backup.import"); every other one must match.
    counts["audit.auditevent"] = (
        AuditEvent.objects.filter(community=community).exclude(action__startswith="backup.").count()
    )
    balances = dict(
        Account.objects.filter(community=community).values_list("pk", "balance_minutes")
    )
    entry_sums = dict(
        Entry.objects.filter(community=community, transfer__state=Transfer.State.COMPLETED)
        .values("account")
        .annotate(total=Sum("amount_minutes"))
        .values_list("account", "total")
    )
    photos = {
        photo.image.name: photo.image.size
        for photo in ReportPhoto.objects.filter(community=community).filter(~Q(image=""))
    }
    return {
        "counts": counts,
        "balances": {str(k): v for k, v in sorted(balances.items())},
        "entry_sums": {str(k): v for k, v in sorted(entry_sums.items())},
        "photos": photos,
        "verify": ledger_verify(community.pk).lines(),
        "pages": _pages(community),
    }


def assert_same(after: dict[str, Any], before: dict[str, Any]) -> None:
    """Equal part by part, a page at a time, showing the lines of a page that differ."""
    for part in ("counts", "balances", "entry_sums", "photos", "verify"):
        assert after[part] == before[part], part
    assert after["pages"].keys() == before["pages"].keys()
    for page, (status, html) in before["pages"].items():
        got_status, got_html = after["pages"][page]
        assert got_status == status, page
        diff = list(
            difflib.unified_diff(html.splitlines(), got_html.splitlines(), lineterm="", n=1)
        )
        assert not diff, f"{page}:\n" + "\n".join(diff[:40])


def main(slug: str) -> None:
    """Print the snapshot as JSON: `coproduce shell -c` in a process on another database."""
    from django.test.utils import setup_test_environment

    setup_test_environment()
    sys.stdout.write(json.dumps(snapshot(slug)))
