"""Run every benchmark against a temporary SQLite database and write docs/benchmarks.md."""

import importlib
import os
import pkgutil
import platform
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import bench
from bench import Result, Section

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
COMMAND = "make bench  # or: .venv/bin/python -m bench"


def _configure(data_dir: str) -> None:
    """A throwaway database, with DEBUG off so that Django does not keep every query."""
    os.environ["COPRODUCE_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "benchmarks-only-" + os.urandom(16).hex())
    os.environ["DJANGO_SETTINGS_MODULE"] = "coproduce.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return "unknown"


def _machine() -> list[tuple[str, str]]:
    import django

    return [
        ("CPU", f"{_cpu()}, {os.cpu_count()} cores"),
        ("memory", _memory()),
        ("system", platform.platform()),
        ("Python", platform.python_version()),
        ("Django", django.get_version()),
        ("database", f"SQLite {sqlite3.sqlite_version} (a temporary file, WAL)"),
        ("load average at the end (1, 5, 15 min)", ", ".join(f"{x:.2f}" for x in os.getloadavg())),
    ]


def _ratio(result: Result) -> str:
    return f"{result.ratio:.1f}x faster" if result.ratio >= 1 else f"{1 / result.ratio:.1f}x slower"


def write_report(results: list[Result], sections: list[Section], path: Path = DOCS) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Written by `python -m bench`; do not edit by hand. Each benchmark measures a baseline and",
        "a candidate in the same run on the same data and reports the median of several runs.",
        "",
        "| benchmark | baseline | candidate | ratio |",
        "|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.baseline}: {r.baseline_seconds * 1000:,.1f} ms"
            f" | {r.candidate}: {r.candidate_seconds * 1000:,.1f} ms | {_ratio(r)} |"
        )
    lines += ["", "## How each is measured", ""]
    lines += [f"- **{r.name}** (median of {r.runs} runs): {r.how}" for r in results]
    for section in sections:
        lines += ["", f"## {section.title}", "", *section.lines]
    lines += ["", "## Machine", ""]
    lines += [f"- {name}: {value}" for name, value in _machine()]
    lines += [
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        "## Reproduce",
        "",
        "```sh",
        COMMAND,
        "```",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def main(names: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="coproduce-bench-") as data_dir:
        _configure(data_dir)
        modules = sorted(
            m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
        )
        # `python -m bench ledger` is short for `python -m bench bench_ledger`.
        names = [n if n.startswith("bench_") else f"bench_{n}" for n in names]
        unknown = set(names) - set(modules)
        if unknown:
            print(
                f"No such benchmark: {', '.join(sorted(unknown))}. There are: {', '.join(modules)}."
            )
            return 2
        results: list[Result] = []
        sections: list[Section] = []
        for name in names or modules:
            print(f"{name} …", flush=True)
            for result in importlib.import_module(f"bench.{name}").run():
                if isinstance(result, Section):
                    print("\n".join((f"  {result.title}", *result.lines)), flush=True)
                    sections.append(result)
                    continue
                print(
                    f"  {result.name}: {result.baseline} {result.baseline_seconds:.3f} s,"
                    f" {result.candidate} {result.candidate_seconds:.3f} s, {_ratio(result)}",
                    flush=True,
                )
                results.append(result)
    if names:
        print("Ran a selection, so docs/benchmarks.md is left as it was.")
    else:
        write_report(results, sections)
        print(f"Wrote {DOCS}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
