"""`coproduce serve`: the web server, with the background task worker beside it."""

import ctypes
import os
import signal
import subprocess
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from coproduce.lib.env import env_int

DATABASE_TASKS = "django_tasks_db.DatabaseBackend"
WORKER_STOP_SECONDS = 10
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """On Linux, the worker gets SIGTERM when the server (gunicorn, after exec) exits."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def parse_addr(addr: str) -> str:
    """`8000`, `0.0.0.0:8000` or `[::1]:8000` → the `host:port` runserver and gunicorn take."""
    host, _colon, port = addr.strip().rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(
            f"--addr must be a port or host:port, like 127.0.0.1:8000, not {addr!r}."
        )
    return f"{host or '127.0.0.1'}:{port}"


class Command(BaseCommand):
    help = (
        "Serve the site: Django's development server when DEBUG is on; gunicorn (workers from "
        "WEB_CONCURRENCY, default 2) after collectstatic when it is off."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port to listen on")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start the task worker (run `coproduce db_worker` elsewhere)",
        )

    def handle(self, *args: Any, addr: str, no_worker: bool, **options: Any) -> None:
        addr = parse_addr(addr)
        start_worker = not no_worker and settings.TASKS["default"]["BACKEND"] == DATABASE_TASKS
        if settings.DEBUG:
            worker = self._start_worker() if start_worker else None
            # A process manager stops us with SIGTERM; exiting normally lets the worker stop too.
            previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
            try:
                call_command("runserver", addr, use_reloader=False)
            finally:
                self._stop_worker(worker)
                signal.signal(signal.SIGTERM, previous)
            return
        try:
            workers = env_int("WEB_CONCURRENCY", 2)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        if workers < 1:
            raise CommandError("WEB_CONCURRENCY must be at least 1.")
        call_command("collectstatic", interactive=False, verbosity=options.get("verbosity", 1))
        argv = [sys.executable, "-m", "gunicorn", "coproduce.wsgi", "--bind", addr]
        argv += ["--workers", str(workers), "--access-logfile", "-"]
        worker = self._start_worker() if start_worker else None
        sys.stdout.flush()
        try:
            # exec leaves one process for the process manager to watch; the task worker is
            # its child and stops when it does.
            os.execv(sys.executable, argv)
        except OSError as error:
            self._stop_worker(worker)
            raise CommandError(f"Could not start gunicorn: {error}") from error

    def _start_worker(self) -> subprocess.Popen[bytes]:
        self.stdout.write("Starting the task worker (coproduce db_worker).")
        # Like the web server, the worker does not reload itself on code changes.
        command = [sys.executable, "-m", "coproduce.cli", "db_worker", "--no-reload"]
        return subprocess.Popen(command, preexec_fn=_die_with_parent)

    def _stop_worker(self, worker: subprocess.Popen[bytes] | None) -> None:
        if worker is None or worker.poll() is not None:
            return
        worker.terminate()
        try:
            worker.wait(timeout=WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
