"""Load for the ledger benchmark: who pays whom, and concurrent clients timed over a window.

Every way of making a transfer (service layer, HTTP API, raw SQL) is driven by the same
clients through `drive`, with the same pairs of accounts from `Pairs`, so the figures
differ only in what each transfer costs.
"""

import multiprocessing
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from coproduce.ledger.models import Category

MINUTES = (15, 30, 45, 60, 90, 120, 180)
DESCRIPTIONS = (
    "Help with the weekly shopping",
    "Lift to the health centre",
    "Tidying the back garden",
    "Reading with the children after school",
    "Fixing a bicycle puncture",
    "Cooking for the lunch club",
    "Filling in a benefits form",
    "Dog walking while away",
)
HOT_SHARE = 0.8  # of transfers touch
HOT_FRACTION = 0.01  # of the accounts


class Refused(Exception):
    """The ledger said no (a limit, a 409): counted apart from completed transfers and errors."""


@dataclass(frozen=True)
class Transfer:
    """One transfer to make: indexes into the benchmark's member list, and what it was for."""

    payer: int
    payee: int
    minutes: int
    description: str
    category: str


class Pairs:
    """Who pays whom: uniform over every account, or hot-spot (80% touch 1% of the accounts)."""

    def __init__(self, *, accounts: int, hot_spot: bool, seed: int = 7) -> None:
        self.accounts = accounts
        self.hot_spot = hot_spot
        shuffled = list(range(accounts))
        random.Random(seed).shuffle(shuffled)
        hot_count = max(2, int(accounts * HOT_FRACTION))
        self.hot = shuffled[:hot_count]
        self.cold = shuffled[hot_count:]

    def pick(self, rng: random.Random) -> Transfer:
        if not self.hot_spot:
            payer, payee = rng.sample(range(self.accounts), 2)
        elif rng.random() < HOT_SHARE:
            hot = rng.choice(self.hot)
            other = rng.randrange(self.accounts)
            while other == hot:
                other = rng.randrange(self.accounts)
            payer, payee = (hot, other) if rng.random() < 0.5 else (other, hot)
        else:
            payer, payee = rng.sample(self.cold, 2)
        return Transfer(
            payer=payer,
            payee=payee,
            minutes=rng.choice(MINUTES),
            description=rng.choice(DESCRIPTIONS),
            category=rng.choice(Category.values),
        )


class Client(Protocol):
    """One client with its own connection; made, used and closed in its own process."""

    def transfer(self, transfer: Transfer | None) -> None:
        """Make one completed transfer (or, given None, one request), or raise Refused."""

    def close(self) -> None: ...


@dataclass
class Run:
    """What the clients did inside the timed window; completed and failed ones are also counted
    over the whole run, to check against the ledger and so that no error goes unseen."""

    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    refused: int = 0
    errors: int = 0
    completed_in_all: int = 0
    first_errors: list[str] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.completed / self.seconds

    def percentile_ms(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def drive(
    *,
    clients: int,
    make_client: Callable[[int], Client],
    pairs: Pairs | None,
    warmup: float,
    seconds: float,
    seed: int,
) -> Run:
    """`clients` processes, each making transfers back to back; only those that end in the window count.

    Processes, not threads: a deployment serves requests from several worker processes, and
    threads in one Python process would share one core's worth of Python (the GIL), so the
    figures would measure the interpreter's lock rather than the ledger. Every way, the raw-SQL
    baseline included, is driven the same way. The processes are forked from this one with
    the benchmark's data in memory; each opens its own connection (this process closes its
    Django connections first, so that no child inherits one).

    The window opens `warmup` seconds after every client is connected and lasts `seconds`.
    With `pairs` None each client is called with None (the one-query endpoint).
    """
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    opened = context.Value("d", 0.0)

    def open_window() -> None:
        opened.value = time.perf_counter() + warmup

    ready = context.Barrier(clients, action=open_window)
    results = context.Queue()

    def work(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        client = make_client(index)
        latencies: list[float] = []
        refused = errors = completed = 0
        failures: list[str] = []
        try:
            ready.wait()
            window_start = opened.value
            window_end = window_start + seconds
            while True:
                started = time.perf_counter()
                if started >= window_end:
                    break
                transfer = pairs.pick(rng) if pairs is not None else None
                try:
                    client.transfer(transfer)
                except Refused:
                    outcome = "refused"
                except Exception as error:  # counted and shown, never hidden
                    outcome = "error"
                    if len(failures) < 3:
                        failures.append(f"{type(error).__name__}: {error}"[:300])
                else:
                    outcome = "completed"
                    completed += 1
                ended = time.perf_counter()
                if outcome == "error":
                    errors += 1
                elif not window_start <= ended < window_end:
                    continue
                elif outcome == "completed":
                    latencies.append(ended - started)
                else:
                    refused += 1
        finally:
            client.close()
            results.put((latencies, refused, errors, completed, failures))

    processes = [context.Process(target=work, args=(i,)) for i in range(clients)]
    for process in processes:
        process.start()
    run = Run(clients=clients, seconds=seconds)
    for _process in processes:
        latencies, refused, errors, completed, failures = results.get()
        run.latencies.extend(latencies)
        run.refused += refused
        run.errors += errors
        run.completed_in_all += completed
        run.first_errors.extend(failures[: max(0, 5 - len(run.first_errors))])
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a client process ended with exit code {process.exitcode}")
    return run
