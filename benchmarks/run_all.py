"""Runs every benchmark in this folder at a size that finishes in about 15 minutes here (`make bench`), then
prints ONE table.

Each benchmark prints machine-readable summary lines `BENCH <name> <value> <unit>` that are collected here;
for a benchmark that prints none yet, its figure lines (rates, latencies, memory) are shown instead. A
benchmark that fails does not stop the others; the table says so and the exit status is 1.

    .venv/bin/python benchmarks/run_all.py [--only serving,search] [--list]
"""
import argparse
import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent

# script → arguments for the `make bench` size (the scripts' own defaults are the full provincial sizes).
SIZES = {
    "import_bench.py": ["--rows", "20000", "--format", "jsonl"],
    "search_bench.py": ["--docs", "20000"],
    "matching_bench.py": ["--achievements", "2000", "--demands", "200"],
    "broker_bench.py": ["--achievements", "5000", "--demands", "500"],
    "stats_bench.py": ["--n", "100000"],
    "serving_bench.py": ["--db", "both", "--seconds", "30"],
}
BENCH = re.compile(r"^BENCH\s+(\S+)\s+(-?[\d.]+(?:e-?\d+)?)\s*(.*)$")
FIGURE = re.compile(r"\d[\d,.]*\s*(?:ms|s\b|/s|MiB|GiB|records/s|documents/s|requests/s|req/s)")


def run(script: Path, args: list[str]) -> tuple[int, float, list[str]]:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1, cwd=HERE.parent)
    lines = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line.rstrip("\n"))
    return proc.wait(), time.perf_counter() - started, lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", help="comma-separated benchmark names (import,search,serving, …)")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("*_bench.py"))
    if args.only:
        wanted = {w.strip().removesuffix("_bench.py") for w in args.only.split(",")}
        scripts = [s for s in scripts if s.name.removesuffix("_bench.py") in wanted]
    if args.list:
        for s in scripts:
            print(s.name, " ".join(SIZES.get(s.name, [])))
        return 0
    load = os.getloadavg()
    print(f"make bench — {datetime.now():%Y-%m-%d %H:%M}, load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on "
          f"{os.cpu_count()} cores", flush=True)
    rows, failed = [], []
    for script in scripts:
        extra = SIZES.get(script.name, [])
        print(f"\n== {script.name} {' '.join(extra)}", flush=True)
        code, seconds, lines = run(script, extra)
        name = script.name.removesuffix(".py")
        found = [m.groups() for m in map(BENCH.match, lines) if m]
        if found:
            rows += [(name, metric, value, unit) for metric, value, unit in found]
        else:
            rows += [(name, line.strip()[:90], "", "") for line in lines if FIGURE.search(line)][:8]
        rows.append((name, "wall time" + ("" if code == 0 else f" — FAILED (exit {code})"), f"{seconds:.0f}", "s"))
        if code:
            failed.append(script.name)
    print("\n" + "=" * 100)
    print(f"{'benchmark':<16} {'metric':<60} {'value':>12} unit")
    print("-" * 100)
    for bench, metric, value, unit in rows:
        print(f"{bench:<16} {metric:<60} {value:>12} {unit}")
    print("=" * 100)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
