"""Keep a service's change time when a row that shapes its HSDS record is saved.

A service's own table dates only its creation; its status, credit rule, roles (which give
its taxonomy terms) and leads (which give its organisation) change later through
coproduction's services, which all save through the ORM, so a post_save receiver sees
every change without the directory reaching into that app's code. Deletions are not
watched: no service removes a role or a lead, so a deletion can only be a cascade, where
a new change row would be written for rows that are going.
"""

from typing import Any

from coproduce.coproduction.models import Service, ServiceLead, ServiceRole
from coproduce.directory.ids import Kind
from coproduce.directory.services import directory_touch


def service_changed(sender: type, instance: Service, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # loaddata: fixtures carry their own history
        return
    directory_touch(community_id=instance.community_id, kind=Kind.SERVICE, object_id=instance.pk)


def service_part_changed(
    sender: type, instance: ServiceRole | ServiceLead, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    directory_touch(
        community_id=instance.community_id, kind=Kind.SERVICE, object_id=instance.service_id
    )


def connect() -> None:
    from django.db.models.signals import post_save

    post_save.connect(service_changed, sender=Service, dispatch_uid="directory_service_saved")
    for model in (ServiceRole, ServiceLead):
        post_save.connect(
            service_part_changed,
            sender=model,
            dispatch_uid=f"directory_{model.__name__.lower()}_saved",
        )
