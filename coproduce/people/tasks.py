"""Background work about people: e-mails go out after the transaction that caused them commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task

from coproduce.people.models import User


@task()
def email_send(*, to: list[str], subject: str, body: str) -> int:
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)


def email_people(*, people: list[User], subject: str, body: str) -> None:
    """Queue one e-mail to everyone listed who has an address, once the current transaction commits."""
    addresses = sorted({p.email for p in people if p.email and p.is_active})
    if addresses:
        transaction.on_commit(lambda: email_send.enqueue(to=addresses, subject=subject, body=body))
