from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from coproduce.communities.models import Community
from coproduce.directory.selectors import published_communities
from coproduce.directory.services import directory_publish_set
from coproduce.people.models import User


class Command(BaseCommand):
    help = (
        "The open HSDS directory at /hsds/: `status` lists the communities that publish; "
        "`publish SLUG --by EMAIL` and `unpublish SLUG --by EMAIL` turn a community's listing "
        "on or off, as one of its coordinators."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["status", "publish", "unpublish"])
        parser.add_argument("slug", nargs="?", help="The community's address name.")
        parser.add_argument("--by", help="The e-mail of a coordinator of that community.")

    def handle(
        self, *args: Any, action: str, slug: str | None, by: str | None, **options: Any
    ) -> None:
        if action == "status":
            names = [f"{c.slug} ({c.name})" for c in published_communities().order_by("slug")]
            self.stdout.write("Publishing: " + (", ".join(names) if names else "no community"))
            return
        if not slug or not by:
            raise CommandError("Name the community and the coordinator: publish SLUG --by EMAIL.")
        community = Community.objects.filter(slug=slug).first()
        if community is None:
            raise CommandError(f"No community has the address name {slug!r}.")
        person = User.objects.filter(email=by.strip().lower()).first()
        if person is None:
            raise CommandError(f"No one signs in with {by!r}.")
        try:
            directory_publish_set(
                community=community, publish=action == "publish", changed_by=person
            )
        except PermissionDenied as refused:
            raise CommandError(str(refused)) from None
        state = "now publishes" if action == "publish" else "no longer publishes"
        self.stdout.write(f"{community.name} {state} its services at /hsds/.")
