"""Background work for local insight: webhooks to the organisation responsible for a report."""

import hashlib
import hmac
import json
import urllib.request

from django_tasks import task

WEBHOOK_TIMEOUT_SECONDS = 10


def webhook_signature(*, secret: str, body: bytes) -> str:
    """HMAC-SHA256 of the exact body, hex; receivers recompute it with the category's secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@task()
def webhook_deliver(*, url: str, secret: str, payload: dict[str, object]) -> int:
    """POST the payload as JSON, signed in the X-Coproduce-Signature header; returns the status."""
    body = json.dumps(payload, sort_keys=True).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Coproduce-Signature": "sha256=" + webhook_signature(secret=secret, body=body),
        },
    )
    # The URL is an http(s) URLField that only a coordinator can set.
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
        return int(response.status)
