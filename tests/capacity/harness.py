#!/usr/bin/env python3
"""Checks `stacklint capacity` against a real stack on loopback.

For each row of a matrix (worker class, workers, threads, CONN_MAX_AGE, a waiting, CPU-bound
or database-bound view) it writes the configuration into a copy of tests/capacity/project,
asks `stacklint capacity` for its prediction (requests/s of the binding limit), runs the
same configuration for real (gunicorn, PostgreSQL, wrk, all on 127.0.0.1) and compares.

The inputs the configuration cannot know are measured once, as a user would: the wall time
T and the CPU time D of each view at concurrency 1 with connections reused (D is the whole
machine's CPU per request: wrk and PostgreSQL share the cores with the app). A row with
CONN_MAX_AGE = 0 then tests stacklint's own cost of opening a connection.

Pitfalls from reference/capacity-probe.md, handled here: CPU views burn thread CPU time;
after the warm-up the accept queue is drained before measuring; gthread workers pin
keep-alive connections (rows say so where it matters).

    tests/capacity/harness.py --stacklint target/release/stacklint [--quick] [--out FILE]

Needs: wrk, PostgreSQL's server binaries (/usr/lib/postgresql/*/bin), and a Python with
django, gunicorn, psycopg and uvicorn-worker (`--python`, default: the one running this
script). Exits 1
when fewer than 80% of the rows are within ±25% (--quick: when any row is outside ±25%).
"""
import argparse
import glob
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOLERANCE = 0.25
CONNECTIONS = 64


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid, reaped=False):
    """CPU seconds of a process (with `reaped`, also of its children that have exited and
    been waited for: gunicorn's old workers, PostgreSQL's ended backends)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d))
        except OSError:
            continue
    return out


def tree_cpu(pid):
    """CPU seconds of a process tree whose leader reaps its children: the leader's own and
    reaped time, plus its live children's."""
    return proc_cpu(pid, reaped=True) + sum(proc_cpu(c) for c in children(pid))


class Postgres:
    """A scratch cluster with trust auth on a free port, and the table the db view reads."""

    def __init__(self, work):
        self.dir = os.path.join(work, "pg")
        self.port = free_port()
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not binaries:
            sys.exit("capacity harness: PostgreSQL's server binaries are not installed (apt-get install postgresql)")
        self.bin = binaries[-1]
        os.makedirs(self.dir)
        shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(work, 0o755)
        self._su(f"{self.bin}/initdb -D {self.dir}/data -A trust -U postgres --no-sync >/dev/null")
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.dir} -c max_connections=200"
        self._su(f"{self.bin}/pg_ctl -D {self.dir}/data -l {self.dir}/log -o '{opts}' -w start >/dev/null")
        psql = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q"]
        subprocess.run(psql + ["-c", "CREATE DATABASE bench"], check=True)
        subprocess.run(psql + ["-d", "bench", "-c", "CREATE TABLE item (id int PRIMARY KEY, name text); INSERT INTO item SELECT g, 'name' || g FROM generate_series(1, 1000) g; ANALYZE item;"], check=True)

    def _su(self, command):
        subprocess.run(["su", "postgres", "-c", command], check=True)

    def postmaster(self):
        with open(f"{self.dir}/data/postmaster.pid") as f:
            return int(f.readline())

    def stop(self):
        self._su(f"{self.bin}/pg_ctl -D {self.dir}/data -m fast stop >/dev/null")


def write_row_project(work, row):
    """The project as configured for `row`: its settings' CONN_MAX_AGE and the Procfile
    that runs gunicorn (what stacklint reads, and what the harness runs)."""
    d = os.path.join(work, "rows", row["label"])
    shutil.copytree(os.path.join(HERE, "project"), d)
    settings = os.path.join(d, "bench", "settings.py")
    with open(settings) as f:
        text = f.read()
    with open(settings, "w") as f:
        f.write(text.replace('"CONN_MAX_AGE": 0,', f'"CONN_MAX_AGE": {row["cma"]},'))
    with open(os.path.join(d, "Procfile"), "w") as f:
        f.write(f"web: gunicorn {app(row)} " + " ".join(row["gunicorn"]) + "\n")
    return d


UVICORN = ["-k", "uvicorn_worker.UvicornWorker"]


def app(row):
    """The WSGI or ASGI entry point a row's gunicorn loads."""
    return "bench.asgi:application" if "uvicorn_worker.UvicornWorker" in row["gunicorn"] else "bench.wsgi:application"


def predict(stacklint, project, t_ms, d_ms):
    out = subprocess.run(
        [stacklint, "capacity", project, "--output-format", "json", "--fixes", "none", "--target", "cpus=2", "--request-time", f"{t_ms:.3f}", "--cpu-time", f"{d_ms:.3f}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    service = json.loads(out)["projects"][0]["report"]["services"][0]
    return service["requests_per_second"], service["binding"]


class Gunicorn:
    def __init__(self, python, project, entry, args, pg_port, log):
        self.port = free_port()
        env = dict(os.environ, PGPORT=str(pg_port), DJANGO_SETTINGS_MODULE="bench.settings")
        gunicorn = os.path.join(os.path.dirname(python), "gunicorn")
        self.proc = subprocess.Popen([gunicorn, entry, "-b", f"127.0.0.1:{self.port}", *args], cwd=project, env=env, stdout=log, stderr=log)
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/sleep?ms=0", timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start (see its log)")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}/{path}"

    def drain(self):
        """Warm-up requests wrk abandoned stay queued and are still served: wait until a
        probe is answered without queueing before measuring (probe pitfall 6)."""
        for _ in range(60):
            start = time.perf_counter()
            try:
                urllib.request.urlopen(self.url("sleep?ms=0"), timeout=60).read()
            except OSError:
                pass
            if time.perf_counter() - start < 0.1:
                return
        time.sleep(0.5)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wrk(url, connections, seconds, app_pid=None, db_pid=None):
    """Requests/s, p50 latency in ms, and the CPU seconds per request of the app's
    processes, of the database's and of wrk (counted per process, so that other work on
    the machine does not count)."""
    threads = 1 if connections == 1 else 2
    app0 = tree_cpu(app_pid) if app_pid else 0.0
    db0 = tree_cpu(db_pid) if db_pid else 0.0
    load0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency", url], check=True, capture_output=True, text=True).stdout
    load1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    app1 = tree_cpu(app_pid) if app_pid else 0.0
    db1 = tree_cpu(db_pid) if db_pid else 0.0
    wrk_cpu = (load1.ru_utime + load1.ru_stime) - (load0.ru_utime + load0.ru_stime)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p50_ms = float(p50.group(1)) * scale[p50.group(2)] if p50 else float("nan")
    requests = rps * seconds
    per = lambda cpu: cpu / requests if requests > 0 else float("nan")
    return rps, p50_ms, per(app1 - app0), per(db1 - db0), per(wrk_cpu)


def run(server, path, connections, seconds, db_pid=None):
    wrk(server.url(path), connections, 3)  # warm-up
    server.drain()
    return wrk(server.url(path), connections, seconds, server.proc.pid, db_pid)


VIEWS = {"sleep": "sleep?ms=50", "cpu": "cpu?ms=20", "db": "db"}


def matrix(quick):
    rows = []

    def add(label, gunicorn, view, cma=600, why=""):
        rows.append({"label": label, "gunicorn": gunicorn, "view": view, "cma": cma, "why": why})

    sync = lambda n: ["--workers", str(n)]
    gthread = lambda n, t, *extra: ["--workers", str(n), "--threads", str(t), "-k", "gthread", *extra]
    if quick:
        add("sync-1-sleep", sync(1), "sleep")
        add("sync-3-cpu", sync(3), "cpu")
        # A connection per request, where the CPU of starting backends binds (a single
        # worker would wait on the connect latency, whose loopback value varies: README).
        add("sync-3-db-cma0", sync(3), "db", cma=0)
        return rows
    for n in (1, 3, 5):
        add(f"sync-{n}-sleep", sync(n), "sleep")
        add(f"sync-{n}-cpu", sync(n), "cpu")
        add(f"sync-{n}-db", sync(n), "db")
        add(f"sync-{n}-db-cma0", sync(n), "db", cma=0)
    add("sync-8-sleep", sync(8), "sleep")
    add("gthread-3x4-sleep", gthread(3, 4), "sleep", why="gthread pins keep-alive connections to the worker that accepted them (probe pitfall 5)")
    add("gthread-3x4-sleep-ka0", gthread(3, 4, "--keep-alive", "0"), "sleep")
    add("gthread-1x12-sleep", gthread(1, 12), "sleep")
    add("gthread-1x12-cpu", gthread(1, 12), "cpu")
    add("gthread-3x4-cpu", gthread(3, 4), "cpu")
    add("gthread-3x4-db", gthread(3, 4), "db")
    add("gthread-3x4-db-cma0", gthread(3, 4), "db", cma=0)
    uvicorn = lambda n: ["--workers", str(n), *UVICORN]
    add("uvicorn-1-sleep", uvicorn(1), "sleep")
    add("uvicorn-2-sleep", uvicorn(2), "sleep")
    add("uvicorn-2-cpu", uvicorn(2), "cpu")
    add("uvicorn-2-db", uvicorn(2), "db")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stacklint", required=True)
    ap.add_argument("--python", default=sys.executable, help="a Python with django, gunicorn and psycopg")
    ap.add_argument("--quick", action="store_true", help="three rows, 5 s each (CI)")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--out", help="write the results table (Markdown) here")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("capacity harness: wrk is not installed (apt-get install wrk)")
    stacklint = os.path.abspath(args.stacklint)
    seconds = 5 if args.quick else args.seconds
    work = tempfile.mkdtemp(prefix="stacklint-capacity-")
    pg = Postgres(work)
    results = []
    try:
        # T and D of each view at concurrency 1, connections reused, on one worker of each
        # interface the matrix uses (an ASGI worker costs more CPU per request).
        rows = matrix(args.quick)
        calibration = {}
        for entry in sorted({app(r) for r in rows}):
            one = ["--workers", "1", *(UVICORN if "asgi" in entry else [])]
            base = write_row_project(work, {"label": "calibration-" + entry.split(".")[1].split(":")[0], "gunicorn": one, "cma": 600})
            with open(os.path.join(work, "calibration.log"), "a") as log:
                server = Gunicorn(args.python, base, entry, one, pg.port, log)
                try:
                    for view, path in VIEWS.items():
                        rps, p50, app_cpu, db_cpu, wrk_cpu = run(server, path, 1, 4 if args.quick else 6, pg.postmaster())
                        # Everything here shares the same cores: the CPU per request of the
                        # whole stack (app, PostgreSQL's queries, the load generator).
                        stack_cpu = (app_cpu + db_cpu + wrk_cpu) * 1000.0
                        calibration[(entry, view)] = (1000.0 / rps, stack_cpu)
                        print(f"calibration {entry} {view}: T = {1000.0 / rps:.2f} ms, D = {stack_cpu:.2f} ms CPU (app {app_cpu * 1000.0:.2f}, PostgreSQL {db_cpu * 1000.0:.2f}, wrk {wrk_cpu * 1000.0:.2f})", flush=True)
                finally:
                    server.stop()
        for row in rows:
            project = write_row_project(work, row)
            t_ms, d_ms = calibration[(app(row), row["view"])]
            predicted, binding = predict(stacklint, project, t_ms, d_ms)
            with open(os.path.join(work, row["label"] + ".log"), "w") as log:
                server = Gunicorn(args.python, project, app(row), row["gunicorn"], pg.port, log)
                try:
                    rps, p50, app_cpu, db_cpu, _ = run(server, VIEWS[row["view"]], CONNECTIONS, seconds, pg.postmaster())
                finally:
                    server.stop()
            ratio = rps / predicted if predicted else float("nan")
            results.append({**row, "predicted": predicted, "binding": binding, "measured": rps, "p50_ms": p50, "app_cpu_ms": app_cpu * 1000.0, "db_cpu_ms": db_cpu * 1000.0, "ratio": ratio, "within": abs(ratio - 1.0) <= TOLERANCE})
            print(f"{row['label']:<26} predicted {predicted:8.1f} ({binding}), measured {rps:8.1f}, ratio {ratio:.2f}; CPU per request: app {app_cpu * 1000:.2f} ms, PostgreSQL {db_cpu * 1000:.2f} ms{'' if abs(ratio - 1) <= TOLERANCE else '  OUTSIDE ±25%'}", flush=True)
    finally:
        pg.stop()
    within = sum(r["within"] for r in results)
    table = table_markdown(results, calibration, within, seconds)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table)
    print(table)
    shutil.rmtree(work, ignore_errors=True)
    needed = len(results) if args.quick else 0.8 * len(results)
    sys.exit(0 if within >= needed else 1)


def table_markdown(results, calibration, within, seconds):
    lines = [
        f"wrk -c{CONNECTIONS} for {seconds} s per row, after a 3 s warm-up and a drain; `--target cpus=2`.",
        "",
        "Calibration at concurrency 1 (connections reused; D is the CPU of the app, PostgreSQL and wrk per request, which share the cores): " + "; ".join(f"{e.split(':')[0]} {v}: T {t:.2f} ms, D {d:.2f} ms" for (e, v), (t, d) in calibration.items()) + ".",
        "",
        "| row | gunicorn | view | CONN_MAX_AGE | predicted req/s | binds | measured req/s | p50 ms | app CPU ms/req | PostgreSQL CPU ms/req | measured / predicted | within ±25% |",
        "|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        note = "" if r["within"] or not r["why"] else f" ({r['why']})"
        lines.append(f"| {r['label']} | `{' '.join(r['gunicorn'])}` | {r['view']} | {r['cma']} | {r['predicted']:.1f} | {r['binding']} | {r['measured']:.1f} | {r['p50_ms']:.1f} | {r['app_cpu_ms']:.2f} | {r['db_cpu_ms']:.2f} | {r['ratio']:.2f} | {'yes' if r['within'] else 'no' + note} |")
    lines += ["", f"{within} of {len(results)} rows within ±25%."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
