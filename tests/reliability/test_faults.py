"""Faults: the database restarted under a stream of transfers and sign-ups; a worker killed
in the middle of a task.

The site runs as it does in production (gunicorn, two processes) against a private
PostgreSQL cluster (pgcluster.py). A client sends transfers through the API, each with its
own Idempotency-Key, and sign-ups through the sign-up page, and retries what fails, as a
careful client does; half-way the cluster is stopped at once and started again. After
that every request has either completed once or failed with nothing written (a 503 to try
again, never a 500), nobody exists half-made, and `coproduce ledger verify` passes.
"""

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import skip_or_fail
from tests.reliability.pgcluster import Cluster, free_port

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
STREAM = 80
RESTART_AT = {20, 50}
CLIENTS = 4
ATTEMPTS = 8


def coproduce(env: dict[str, str], *argv: str, timeout: int = 300) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "coproduce.cli", *argv],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def shell(env: dict[str, str], code: str) -> Any:
    """Run Python in the app against the cluster; it prints one JSON value."""
    return json.loads(coproduce(env, "shell", "-c", code).strip().splitlines()[-1])


SEED = """
import json
from coproduce.api.services import access_token_create
from coproduce.communities.models import Membership
from coproduce.communities.services import community_create
from coproduce.people.models import User
from coproduce.people.services import profile_update
founder = User.objects.create_user("founder@example.org", "correct horse battery staple")
profile_update(user=founder, display_name="Fay Founder")
community = community_create(name="Faultline", slug="faultline", centre=(51.5, -0.1),
    bounds=(51.45, 51.55, -0.2, 0.0), created_by=founder)
ids = []
for n in range(2):
    user = User.objects.create_user(f"m{n}@example.org", "correct horse battery staple")
    profile_update(user=user, display_name=f"Member {n}")
    Membership.objects.create(community=community, user=user, state=Membership.State.ACTIVE)
    ids.append(user.pk)
print(json.dumps({"token": access_token_create(user=User.objects.get(pk=ids[0]), name="f")[1],
                  "other": ids[1]}))
"""

STATE = """
import json
from coproduce.ledger.models import Transfer
from coproduce.people.models import Profile, User
keys = list(Transfer.objects.filter(idempotency_key__startswith="fault-")
            .values_list("idempotency_key", flat=True))
print(json.dumps({
    "keys": keys,
    "emails": list(User.objects.filter(email__startswith="signup-").values_list("email", flat=True)),
    "without_profile": User.objects.filter(profile__isnull=True).count(),
}))
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    try:
        found = Cluster()
    except FileNotFoundError as error:
        skip_or_fail(str(error))
    try:
        found.start()
        yield found
    finally:
        found.stop()


@pytest.fixture(scope="module")
def app_env(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": cluster.url,
        "COPRODUCE_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "RATELIMIT_ENABLE": "false",
        "ACCOUNT_EMAIL_VERIFICATION": "none",
        "PYTHONPATH": str(ROOT),
    }
    coproduce(env, "migrate", "--no-input", timeout=600)
    return env


@pytest.fixture(scope="module")
def seeded(app_env: dict[str, str]) -> dict[str, Any]:
    """Faultline with two members; the first one's API token and the second one's id."""
    found: dict[str, Any] = shell(app_env, SEED)
    return found


@pytest.fixture
def site(app_env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "coproduce.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "30",
        ],
        env=app_env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                requests.get(base + "/healthz", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not answer within a minute")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _transfer(base: str, token: str, other: int, n: int) -> tuple[str, int]:
    key = f"fault-{n}"
    # Turn about, so that neither goes below the credit floor.
    direction = "gave" if n % 2 else "received"
    body: dict[str, Any] = {
        "direction": direction,
        "other_member_id": other,
        "minutes": 10 + n % 5,
        "description": f"Help number {n}",
    }
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    url = f"{base}/api/v1/communities/faultline/transfers"
    return key, requests.post(url, json=body, headers=headers, timeout=20).status_code


def _signup(base: str, n: int) -> tuple[str, int]:
    email = f"signup-{n}@example.org"
    with requests.Session() as session:
        page = session.get(f"{base}/accounts/signup/", timeout=20)
        if page.status_code != 200:
            return email, page.status_code
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert csrf, page.text[:500]
        form = {
            "csrfmiddlewaretoken": csrf[1],
            "email": email,
            "display_name": f"New {n}",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        }
        answer = session.post(
            f"{base}/accounts/signup/",
            data=form,
            timeout=20,
            allow_redirects=False,
            headers={"Referer": f"{base}/accounts/signup/"},
        )
        # A retry of a sign-up that did complete finds the address taken: done, not failed.
        if answer.status_code == 200 and "already" in answer.text:
            return email, 302
        return email, answer.status_code


def _with_retries(send: Any, seen: Counter[str]) -> tuple[str, int, int]:
    """Send until the answer is final (success or a client error), as a careful client does."""
    failures = 0
    what, status = "", 0
    for attempt in range(ATTEMPTS):
        try:
            what, status = send()
        except requests.RequestException as error:
            seen[type(error).__name__] += 1
        else:
            if status < 500:
                return what, status, failures
            seen[str(status)] += 1
        failures += 1
        time.sleep(0.25 * (attempt + 1))
    return what, 0, failures


def test_a_database_restart_in_a_stream_of_transfers_and_sign_ups_loses_and_doubles_nothing(
    cluster: Cluster, app_env: dict[str, str], seeded: dict[str, Any], site: str
) -> None:
    seen: Counter[str] = Counter()
    restarts: list[threading.Thread] = []

    def one(n: int) -> list[tuple[str, str, int, int]]:
        if n in RESTART_AT:
            restarts.append(threading.Thread(target=cluster.restart))
            restarts[-1].start()
        key, status, failed = _with_retries(
            lambda: _transfer(site, seeded["token"], seeded["other"], n), seen
        )
        email, status2, failed2 = _with_retries(lambda: _signup(site, n), seen)
        return [("transfer", key, status, failed), ("signup", email, status2, failed2)]

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        outcomes = [o for pair in pool.map(one, range(STREAM)) for o in pair]
    for thread in restarts:
        thread.join()

    state = shell(app_env, STATE)
    interrupted = sum(1 for *_rest, failed in outcomes if failed)
    print(
        f"faults: {len(outcomes)} requests from {CLIENTS} clients, {len(RESTART_AT)} restarts;"
        f" {interrupted} met a restart and were retried; failed attempts: {dict(seen)}"
    )
    assert interrupted, "the restart happened after the stream; nothing was tested"
    # What a client met while the database was away was "try again" (503) or no answer at
    # all (the connection refused or dropped), never a server fault.
    assert "500" not in seen, seen
    # Every request completed in the end (the server came back)...
    unfinished = [o for o in outcomes if o[2] not in {200, 201, 302}]
    assert not unfinished, unfinished
    done_keys = [what for kind, what, _s, _f in outcomes if kind == "transfer"]
    done_emails = [what for kind, what, _s, _f in outcomes if kind == "signup"]
    # ...and exactly once: no transfer twice for a retried key, nobody signed up twice.
    assert sorted(state["keys"]) == sorted(done_keys)
    assert sorted(state["emails"]) == sorted(done_emails)
    assert state["without_profile"] == 0
    coproduce(app_env, "ledger", "verify")


TASK_STATE = """
import json
from django_tasks_db.models import DBTaskResult
from coproduce.ledger.models import Transfer
task = DBTaskResult.objects.get(task_path="tests.reliability.slow_tasks.transfer_slowly",
                                args_kwargs__kwargs__key=KEY)
print(json.dumps({"status": task.status, "runs": len(task.worker_ids),
                  "done": Transfer.objects.filter(idempotency_key=KEY).count()}))
"""
ENQUEUE = """
import json
from tests.reliability.slow_tasks import transfer_slowly
print(json.dumps(transfer_slowly.using(backend="default").enqueue(key=KEY, pause=PAUSE, flag=FLAG).id))
"""


def _worker(env: dict[str, str], *extra: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "coproduce.cli", "db_worker", "--interval", "0.2", *extra]
    return subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _wait_for(env: dict[str, str], code: str, ready: Any, seconds: float = 120) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        state = shell(env, code)
        if ready(state) or time.monotonic() > deadline:
            return state
        time.sleep(0.5)


@pytest.mark.parametrize("pause", ["before", "after"])
def test_a_task_whose_worker_is_killed_runs_again_and_does_its_work_once(
    app_env: dict[str, str], seeded: dict[str, Any], tmp_path: Path, pause: str
) -> None:
    key = f"task-{pause}"
    values = f"KEY = {key!r}\nPAUSE = {pause!r}\nFLAG = {str(tmp_path / 'ran')!r}\n"
    shell(app_env, values + ENQUEUE)
    state = values + TASK_STATE
    worker = _worker(app_env)
    try:
        # The worker has the task and is in its pause, before or after the work.
        running = _wait_for(
            app_env,
            state,
            lambda s: (
                s["status"] == "RUNNING"
                and (tmp_path / "ran").exists()
                and s["done"] == (pause == "after")
            ),
        )
        assert running["status"] == "RUNNING", running
    finally:
        worker.kill()
        worker.wait()
    # Killed: the task stays RUNNING for ever; no worker would take it again.
    assert shell(app_env, state)["status"] == "RUNNING"
    assert "1 task(s) put back" in coproduce(app_env, "requeue_tasks", "--older-than", "0")
    second = _worker(app_env, "--batch")
    assert second.wait(timeout=120) == 0
    finished = shell(app_env, state)
    assert finished == {"status": "SUCCESSFUL", "runs": 2, "done": 1}
    coproduce(app_env, "ledger", "verify")
