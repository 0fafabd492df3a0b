"""Background work about people: e-mails go out after the transaction that caused them commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task
from django_tasks_db import DatabaseBackend

from coproduce.people.models import User


@task()
def email_send(*, to: list[str], subject: str, body: str) -> int:
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)


def email_people(*, people: list[User], subject: str, body: str) -> None:
    """Queue one e-mail to everyone listed who has an address; it goes only if the current
    transaction commits.

    With the database task backend (the default) the task row is written in the transaction
    itself, so it commits or rolls back with the change that caused it, and costs no commit
    of its own. Any other backend (Redis, or running tasks at once in tests) hears of it only
    after the commit.
    """
    addresses = sorted({p.email for p in people if p.email and p.is_active})
    if not addresses:
        return
    if (
        isinstance(email_send.get_backend(), DatabaseBackend)
        and transaction.get_connection().in_atomic_block
    ):
        email_send.enqueue(to=addresses, subject=subject, body=body)
    else:
        transaction.on_commit(lambda: email_send.enqueue(to=addresses, subject=subject, body=body))
