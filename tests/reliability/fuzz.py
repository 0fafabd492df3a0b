"""`make fuzz`: the long fuzz run, outside the main suite; its result goes to
docs/reliability-fuzz.md.

The same tests as the suite's (test_fuzz_api.py, test_fuzz_open311_hsds.py) with many more
examples per operation and schemathesis's coverage phase (the boundary values of every
parameter) switched on. `python -m tests.reliability.fuzz [--examples N]`; DATABASE_URL
picks PostgreSQL as for the suite.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULT = ROOT / "docs" / "reliability-fuzz.md"
MODULES = ["tests/reliability/test_fuzz_api.py", "tests/reliability/test_fuzz_open311_hsds.py"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100, help="examples per operation")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "cases.json"
        env = {
            **os.environ,
            "FUZZ_EXAMPLES": str(options.examples),
            "FUZZ_COVERAGE": "1",
            "FUZZ_REPORT": str(report),
        }
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *MODULES],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        cases = json.loads(report.read_text()) if report.exists() else {}
    summary = (run.stdout.strip().splitlines() or ["(no output)"])[-1]
    failures = [line for line in run.stdout.splitlines() if line.startswith("FAILED")]
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    api_cases = sum(n for op, n in cases.items() if op.split()[1].startswith("/api/"))
    lines = [
        "# Reliability: the last long fuzz run",
        "",
        "Written by `make fuzz` (tests/reliability/fuzz.py); see docs/reliability.md for what",
        "the fuzzing checks and how the rest of the proof runs.",
        "",
        f"- When: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, on {database}, in {seconds / 60:.1f} min",
        f"- Examples per operation: {options.examples}, plus schemathesis's coverage phase",
        f"- REST API: {api_cases:,} requests over "
        f"{sum(1 for op in cases if op.split()[1].startswith('/api/'))} operations",
    ]
    lines += [f"- {kind}: {n:,} requests" for kind, n in sorted(cases.items()) if "/" not in kind]
    lines += [f"- Result: {'held' if run.returncode == 0 else 'FAILED'} ({summary})", ""]
    if failures:
        lines += ["Failures:", "", *[f"- `{line}`" for line in failures], ""]
    RESULT.write_text("\n".join(lines))
    print("\n".join(lines))
    if run.returncode:
        print(run.stdout[-20000:], run.stderr[-5000:], sep="\n")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
