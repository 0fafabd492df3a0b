"""`coproduce serve`: the development server with DEBUG on, gunicorn with it off."""

from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coproduce.web.management.commands import serve

DATABASE_TASKS = {"default": {"BACKEND": serve.DATABASE_TASKS}}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    seen: list[tuple[Any, ...]] = []
    monkeypatch.setattr(serve, "call_command", lambda *a, **kw: seen.append(("call", a, kw)))
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: seen.append(("exec", path, argv)))
    return seen


def test_with_debug_on_it_runs_the_development_server_without_the_reloader(
    settings: Any, calls: list[tuple[Any, ...]]
) -> None:
    settings.DEBUG = True
    call_command("serve", "--addr", "127.0.0.1:8123")
    assert calls == [("call", ("runserver", "127.0.0.1:8123"), {"use_reloader": False})]


def test_with_debug_off_it_collects_static_files_then_execs_gunicorn(
    settings: Any, calls: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = False
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    call_command("serve", "--addr", "0.0.0.0:9000")
    assert calls[0][:2] == ("call", ("collectstatic",))
    assert calls[0][2]["interactive"] is False
    kind, _path, argv = calls[1]
    assert kind == "exec"
    assert argv[1:] == [
        "-m", "gunicorn", "coproduce.wsgi", "--bind", "0.0.0.0:9000",
        "--workers", "3", "--access-logfile", "-",
    ]  # fmt: skip


def test_gunicorn_has_two_workers_by_default(
    settings: Any, calls: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = False
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    call_command("serve")
    argv = calls[1][2]
    assert argv[argv.index("--workers") + 1] == "2"
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8000"


@pytest.mark.parametrize("addr", ["localhost", "127.0.0.1:http", "127.0.0.1:70000", ":0"])
def test_a_bad_address_is_refused_with_a_clear_error(
    addr: str, calls: list[tuple[Any, ...]]
) -> None:
    with pytest.raises(CommandError, match="--addr"):
        call_command("serve", "--addr", addr)
    assert calls == []


def test_a_bare_port_listens_on_localhost(settings: Any, calls: list[tuple[Any, ...]]) -> None:
    settings.DEBUG = True
    call_command("serve", "--addr", "8001")
    assert calls[0][1] == ("runserver", "127.0.0.1:8001")


def test_it_starts_the_task_worker_and_stops_it_with_the_server(
    settings: Any, calls: list[tuple[Any, ...]]
) -> None:
    settings.DEBUG = True
    settings.TASKS = DATABASE_TASKS
    worker = mock.Mock()
    worker.poll.return_value = None
    with mock.patch.object(serve.subprocess, "Popen", return_value=worker) as popen:
        call_command("serve")
    assert "db_worker" in popen.call_args.args[0]
    worker.terminate.assert_called_once()


def test_no_worker_leaves_the_task_worker_to_the_operator(
    settings: Any, calls: list[tuple[Any, ...]]
) -> None:
    settings.DEBUG = True
    settings.TASKS = DATABASE_TASKS
    with mock.patch.object(serve.subprocess, "Popen") as popen:
        call_command("serve", "--no-worker")
    popen.assert_not_called()


@pytest.mark.parametrize("value", ["0", "many"])
def test_a_bad_web_concurrency_is_refused_before_anything_starts(
    value: str, settings: Any, calls: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = False
    monkeypatch.setenv("WEB_CONCURRENCY", value)
    with pytest.raises(CommandError, match="WEB_CONCURRENCY"):
        call_command("serve")
    assert calls == []
