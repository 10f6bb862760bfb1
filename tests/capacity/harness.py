#!/usr/bin/env python3
"""Checks `stacklint capacity` against a real stack on loopback.

For each row of a matrix (worker class, workers, threads, CONN_MAX_AGE, a waiting, CPU-bound
or database-bound view, nginx in front with or without upstream keepalive) it writes the
configuration into a copy of tests/capacity/project, asks `stacklint capacity` for its
prediction (requests/s of the binding limit), runs the same configuration for real
(gunicorn, PostgreSQL, nginx, wrk, all on 127.0.0.1) and compares.

The inputs the configuration cannot know are measured once, as a user would: the wall time
T and the CPU time D of each view at concurrency 1 with connections reused (D is the whole
machine's CPU per request: wrk and PostgreSQL share the cores with the app). A row with
CONN_MAX_AGE = 0 then tests stacklint's own cost of opening a connection. Rows with nginx
in front are calibrated behind nginx with upstream keepalive (nginx's CPU per request
apart, written to the row's stacklint.toml as `[capacity] nginx-cpu-time`); a row without
upstream keepalive then tests stacklint's own cost of a new upstream connection.

Pitfalls from reference/capacity-probe.md, handled here: CPU views burn thread CPU time;
after the warm-up the accept queue is drained before measuring; gthread workers pin
keep-alive connections (rows say so where it matters).

    tests/capacity/harness.py --stacklint target/release/stacklint [--quick] [--out FILE]

Needs: wrk, nginx, PostgreSQL's server binaries (/usr/lib/postgresql/*/bin), and a Python with
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
import signal
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


def nginx_version():
    """The installed nginx's version (`nginx -v` writes it to stderr), for stacklint's
    `[versions]`: before 1.29.7 upstream connections are not kept alive by default."""
    out = subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr
    m = re.search(r"nginx/(\d+\.\d+\.\d+)", out)
    return m.group(1) if m else None


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_conf(port, locations):
    """An nginx configuration as a project would have it: one worker process, access log
    off, and per `(location, upstream name, address, keepalive)` an upstream and a
    location proxying to it, over HTTP/1.1 with `keepalive 16` or plainly. Paths are
    relative to nginx's `-p` prefix, so that it runs as any user."""
    lines = [
        "worker_processes 1;",
        "error_log logs/error.log warn;",
        "events { worker_connections 1024; }",
        "http {",
        "    access_log off;",
        "    client_body_temp_path tmp/body;",
        "    proxy_temp_path tmp/proxy;",
        "    fastcgi_temp_path tmp/fastcgi;",
        "    uwsgi_temp_path tmp/uwsgi;",
        "    scgi_temp_path tmp/scgi;",
    ]
    for _, name, address, keepalive in locations:
        lines += [f"    upstream {name} {{", f"        server {address};"] + (["        keepalive 16;"] if keepalive else []) + ["    }"]
    lines += ["    server {", f"        listen 127.0.0.1:{port};"]
    for location, name, _, keepalive in locations:
        # Under `/ka/`, `http://name/` strips the prefix; under `/` the URI passes as is.
        lines += [f"        location {location} {{", f"            proxy_pass http://{name}{'/' if location != '/' else ''};"]
        if keepalive:
            lines += ["            proxy_http_version 1.1;", '            proxy_set_header Connection "";']
        lines.append("        }")
    lines += ["    }", "}"]
    return "\n".join(lines) + "\n"


class Nginx:
    """nginx from the configuration at `conf`, in the foreground, with its pid file, logs
    and temp files under `prefix` (not the system's)."""

    def __init__(self, conf, prefix, port, log):
        self.port = port
        for d in ("logs", "tmp"):
            os.makedirs(os.path.join(prefix, d), exist_ok=True)
        # As root the workers run as `nobody`: they write temp files under the prefix.
        os.chmod(os.path.join(prefix, "tmp"), 0o777)
        self.proc = subprocess.Popen([NGINX, "-p", prefix + "/", "-c", conf, "-e", os.path.join(prefix, "logs", "error.log"), "-g", f"daemon off; pid {prefix}/nginx.pid;"], stdout=log, stderr=log)
        for _ in range(50):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"nginx did not start (see {prefix}/logs/error.log)")
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("nginx did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def write_row_project(work, row, nginx_cpu_ms=None):
    """The project as configured for `row`: its settings' CONN_MAX_AGE and the Procfile
    that runs gunicorn (what stacklint reads, and what the harness runs). A row with nginx
    in front (`row["nginx"]`: "keepalive" or "plain") also gets nginx/nginx.conf proxying
    to gunicorn's `--bind` port, and a stacklint.toml with the installed nginx's version
    (before 1.29.7 nginx reuses upstream connections only when told) and nginx's CPU per
    request measured at concurrency 1 (`nginx_cpu_ms`)."""
    d = os.path.join(work, "rows", row["label"])
    shutil.copytree(os.path.join(HERE, "project"), d)
    settings = os.path.join(d, "bench", "settings.py")
    with open(settings) as f:
        text = f.read()
    with open(settings, "w") as f:
        f.write(text.replace('"CONN_MAX_AGE": 0,', f'"CONN_MAX_AGE": {row["cma"]},'))
    gunicorn = list(row["gunicorn"])
    if row.get("nginx"):
        row["gunicorn_port"], row["nginx_port"] = free_port(), free_port()
        gunicorn += ["--bind", f"127.0.0.1:{row['gunicorn_port']}"]
        os.makedirs(os.path.join(d, "nginx"))
        with open(os.path.join(d, "nginx", "nginx.conf"), "w") as f:
            f.write(nginx_conf(row["nginx_port"], [("/", "app", f"127.0.0.1:{row['gunicorn_port']}", row["nginx"] == "keepalive")]))
        toml = ""
        version = nginx_version()
        if version:
            toml += f'[versions]\nnginx = "{version}"\n'
        if nginx_cpu_ms is not None:
            toml += f"[capacity]\nnginx-cpu-time = {nginx_cpu_ms:.4f}\n"
        with open(os.path.join(d, "stacklint.toml"), "w") as f:
            f.write(toml)
    row["command"] = gunicorn
    with open(os.path.join(d, "Procfile"), "w") as f:
        f.write(f"web: gunicorn {app(row)} " + " ".join(gunicorn) + "\n")
    return d


def kind(row):
    """The worker class of a row: a calibration of its own behind nginx."""
    args = row["gunicorn"]
    return "uvicorn" if "uvicorn_worker.UvicornWorker" in args else "gthread" if "gthread" in args else "sync"


ONE_WORKER = {"sync": ["--workers", "1"], "gthread": ["--workers", "1", "--threads", "1", "-k", "gthread"]}


UVICORN = ["-k", "uvicorn_worker.UvicornWorker"]


def app(row):
    """The WSGI or ASGI entry point a row's gunicorn loads."""
    return "bench.asgi:application" if "uvicorn_worker.UvicornWorker" in row["gunicorn"] else "bench.wsgi:application"


def predict(stacklint, project, t_ms, d_ms, cpus=2):
    out = subprocess.run(
        [stacklint, "capacity", project, "--output-format", "json", "--fixes", "none", "--target", f"cpus={cpus:.2f}", "--request-time", f"{t_ms:.3f}", "--cpu-time", f"{d_ms:.3f}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    service = json.loads(out)["projects"][0]["report"]["services"][0]
    return service["requests_per_second"], service["binding"]


class Gunicorn:
    def __init__(self, python, project, entry, args, pg_port, log, port=None):
        self.port = port or free_port()
        env = dict(os.environ, PGPORT=str(pg_port), DJANGO_SETTINGS_MODULE="bench.settings")
        gunicorn = os.path.join(os.path.dirname(python), "gunicorn")
        bind = [] if "--bind" in args else ["-b", f"127.0.0.1:{self.port}"]
        self.proc = subprocess.Popen([gunicorn, entry, *bind, *args], cwd=project, env=env, stdout=log, stderr=log)
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


def cpu_ticks():
    """The machine's busy and total CPU ticks so far (/proc/stat), to tell how much of it
    other work used during a run."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def wrk(url, connections, seconds, pids=None):
    """Requests/s, p50 latency in ms, the CPU seconds per request of each process tree in
    `pids` (name: pid; the app's, the database's, nginx's) and of wrk, counted per process
    so that other work on the machine does not count."""
    pids = pids or {}
    threads = 1 if connections == 1 else 2
    before = {name: tree_cpu(pid) for name, pid in pids.items()}
    ticks0 = cpu_ticks()
    load0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency", url], check=True, capture_output=True, text=True).stdout
    load1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    ticks1 = cpu_ticks()
    after = {name: tree_cpu(pid) for name, pid in pids.items()}
    wrk_cpu = (load1.ru_utime + load1.ru_stime) - (load0.ru_utime + load0.ru_stime)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p50_ms = float(p50.group(1)) * scale[p50.group(2)] if p50 else float("nan")
    requests = rps * seconds
    per = lambda cpu: cpu / requests if requests > 0 else float("nan")
    cpu = {name: per(after[name] - before[name]) for name in pids}
    cpu["wrk"] = per(wrk_cpu)
    # Cores busy with anything else than this stack (other builds on the machine).
    busy = (ticks1[0] - ticks0[0]) / max(ticks1[1] - ticks0[1], 1) * os.cpu_count()
    ours = (sum(after[n] - before[n] for n in pids) + wrk_cpu) / seconds
    cpu["others"] = max(busy - ours, 0.0)
    return rps, p50_ms, cpu


def run(server, path, connections, seconds, pids, front=None):
    """Warm up, drain, measure `path` on `server` (through `front`, a URL prefix, when
    nginx is in front)."""
    url = (front + path) if front else server.url(path)
    wrk(url, connections, 3)  # warm-up
    server.drain()
    return wrk(url, connections, seconds, pids)


VIEWS = {"sleep": "sleep?ms=50", "cpu": "cpu?ms=20", "db": "db"}


def matrix(quick, nginx_only=False):
    rows = []

    def add(label, gunicorn, view, cma=600, why="", nginx=None):
        rows.append({"label": label, "gunicorn": gunicorn, "view": view, "cma": cma, "why": why, "nginx": nginx})

    sync = lambda n: ["--workers", str(n)]
    gthread = lambda n, t, *extra: ["--workers", str(n), "--threads", str(t), "-k", "gthread", *extra]
    # nginx in front, its upstream kept alive or not. Sync workers close every connection,
    # so keepalive changes nothing there; gthread workers keep them.
    nginx_rows = lambda: [
        add("nginx-sync-3-sleep-plain", sync(3), "sleep", nginx="plain"),
        add("nginx-sync-3-db-plain", sync(3), "db", nginx="plain"),
        add("nginx-sync-3-db-keepalive", sync(3), "db", nginx="keepalive"),
        add("nginx-gthread-3x4-sleep-keepalive", gthread(3, 4), "sleep", nginx="keepalive", why="gthread pins the upstream connections nginx keeps alive to the worker that accepted them (probe pitfall 5)"),
        add("nginx-gthread-3x4-cpu-plain", gthread(3, 4), "cpu", nginx="plain"),
        add("nginx-gthread-3x4-db-plain", gthread(3, 4), "db", nginx="plain"),
        add("nginx-gthread-3x4-db-keepalive", gthread(3, 4), "db", nginx="keepalive"),
    ]
    if nginx_only:
        nginx_rows()
        return rows
    if quick:
        add("sync-1-sleep", sync(1), "sleep")
        add("sync-3-cpu", sync(3), "cpu")
        # No row with a connection per request: what a PostgreSQL backend's start costs on
        # this machine varies from run to run (3.3–4.6 ms of CPU, README), so such a row
        # would fail CI by chance; the full matrix runs them.
        # nginx without upstream keepalive in front of gthread workers: nginx's CPU and a
        # new upstream connection per request, on the CPUs it shares with the app.
        add("nginx-gthread-3x4-db-plain", gthread(3, 4), "db", nginx="plain")
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
    nginx_rows()
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stacklint", required=True)
    ap.add_argument("--python", default=sys.executable, help="a Python with django, gunicorn and psycopg")
    ap.add_argument("--quick", action="store_true", help="three rows, 5 s each (CI)")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--nginx-only", action="store_true", help="only the rows with nginx in front")
    ap.add_argument("--out", help="write the results table (Markdown) here")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("capacity harness: wrk is not installed (apt-get install wrk)")
    if not os.path.exists(NGINX):
        sys.exit("capacity harness: nginx is not installed (apt-get install nginx)")
    stacklint = os.path.abspath(args.stacklint)
    seconds = 5 if args.quick else args.seconds
    work = tempfile.mkdtemp(prefix="stacklint-capacity-")
    pg = Postgres(work)
    results = []
    try:
        # T and D of each view at concurrency 1, connections reused, on one worker of each
        # interface the matrix uses (an ASGI worker costs more CPU per request).
        rows = matrix(args.quick, args.nginx_only)
        calibration = {}
        pids = lambda server: {"app": server.proc.pid, "db": pg.postmaster()}
        calibrate_seconds = 4 if args.quick else 6
        for entry in sorted({app(r) for r in rows if not r.get("nginx")}):
            one = ["--workers", "1", *(UVICORN if "asgi" in entry else [])]
            base = write_row_project(work, {"label": "calibration-" + entry.split(".")[1].split(":")[0], "gunicorn": one, "cma": 600})
            with open(os.path.join(work, "calibration.log"), "a") as log:
                server = Gunicorn(args.python, base, entry, one, pg.port, log)
                try:
                    for view in sorted({r["view"] for r in rows if app(r) == entry and not r.get("nginx")}):
                        rps, p50, cpu = run(server, VIEWS[view], 1, calibrate_seconds, pids(server))
                        # Everything here shares the same cores: the CPU per request of the
                        # whole stack (app, PostgreSQL's queries, the load generator).
                        stack_cpu = (cpu["app"] + cpu["db"] + cpu["wrk"]) * 1000.0
                        calibration[(entry, view)] = (1000.0 / rps, stack_cpu)
                        print(f"calibration {entry} {view}: T = {1000.0 / rps:.2f} ms, D = {stack_cpu:.2f} ms CPU (app {cpu['app'] * 1000.0:.2f}, PostgreSQL {cpu['db'] * 1000.0:.2f}, wrk {cpu['wrk'] * 1000.0:.2f})", flush=True)
                finally:
                    server.stop()
        # Behind nginx, as a user would measure it there: one worker of the rows' class
        # behind nginx with upstream keepalive (a sync worker still closes each connection),
        # giving T, D (app, PostgreSQL, wrk) and nginx's CPU per request apart. The cost of
        # a new upstream connection per request is stacklint's to add, as that of a new
        # database connection is; the plain upstream is measured too, to compare.
        nginx_calibration = {}
        for k in sorted({kind(r) for r in rows if r.get("nginx")}):
            row = {"label": f"calibration-nginx-{k}", "gunicorn": ONE_WORKER[k], "cma": 600, "nginx": "keepalive"}
            base = write_row_project(work, row)
            plain_dir, plain_port = os.path.join(base, "nginx-plain"), free_port()
            os.makedirs(plain_dir)
            with open(os.path.join(plain_dir, "nginx.conf"), "w") as f:
                f.write(nginx_conf(plain_port, [("/", "app", f"127.0.0.1:{row['gunicorn_port']}", False)]))
            with open(os.path.join(work, "calibration.log"), "a") as log:
                server = Gunicorn(args.python, base, app(row), row["command"], pg.port, log, port=row["gunicorn_port"])
                fronts = []
                try:
                    fronts.append(Nginx(os.path.join(base, "nginx", "nginx.conf"), os.path.join(base, "nginx"), row["nginx_port"], log))
                    fronts.append(Nginx(os.path.join(plain_dir, "nginx.conf"), plain_dir, plain_port, log))
                    for view in sorted({r["view"] for r in rows if r.get("nginx") and kind(r) == k}):
                        # The plain upstream only where requests are many enough for CPU
                        # time counted in clock ticks to show a fraction of a millisecond.
                        for front, how in zip(fronts, ("keepalive", "plain") if view == "db" else ("keepalive",)):
                            rps, p50, cpu = run(server, VIEWS[view], 1, calibrate_seconds, {**pids(server), "nginx": front.proc.pid}, f"http://127.0.0.1:{front.port}/")
                            stack_cpu = (cpu["app"] + cpu["db"] + cpu["wrk"]) * 1000.0
                            nginx_calibration[(k, view, how)] = (1000.0 / rps, stack_cpu, cpu["nginx"] * 1000.0, cpu["app"] * 1000.0)
                            print(f"calibration nginx ({how} upstream) + {k} {view}: T = {1000.0 / rps:.2f} ms, D = {stack_cpu:.2f} ms CPU (app {cpu['app'] * 1000.0:.3f}, PostgreSQL {cpu['db'] * 1000.0:.3f}, wrk {cpu['wrk'] * 1000.0:.3f}), nginx {cpu['nginx'] * 1000.0:.3f} ms CPU", flush=True)
                        if view != "db":
                            continue
                        ka, plain = nginx_calibration[(k, view, "keepalive")], nginx_calibration[(k, view, "plain")]
                        print(f"calibration nginx + {k} {view}: a new upstream connection per request costs {(plain[2] + plain[3]) - (ka[2] + ka[3]):.3f} ms CPU (nginx {plain[2] - ka[2]:.3f}, app {plain[3] - ka[3]:.3f}); stacklint's default is the upstream-connect-cpu-time input", flush=True)
                finally:
                    for front in fronts:
                        front.stop()
                    server.stop()
        for row in rows:
            if row.get("nginx"):
                t_ms, d_ms, nginx_ms, _ = nginx_calibration[(kind(row), row["view"], "keepalive")]
            else:
                (t_ms, d_ms), nginx_ms = calibration[(app(row), row["view"])], None
            project = write_row_project(work, row, nginx_ms)
            predicted, binding = predict(stacklint, project, t_ms, d_ms)
            with open(os.path.join(work, row["label"] + ".log"), "w") as log:
                server = Gunicorn(args.python, project, app(row), row["command"], pg.port, log, port=row.get("gunicorn_port"))
                front = None
                try:
                    if row.get("nginx"):
                        front = Nginx(os.path.join(project, "nginx", "nginx.conf"), os.path.join(project, "nginx"), row["nginx_port"], log)
                    measure = {**pids(server), **({"nginx": front.proc.pid} if front else {})}
                    rps, p50, cpu = run(server, VIEWS[row["view"]], CONNECTIONS, seconds, measure, f"http://127.0.0.1:{front.port}/" if front else None)
                finally:
                    if front:
                        front.stop()
                    server.stop()
            ratio = rps / predicted if predicted else float("nan")
            # What the machine left the stack: the same prediction on the cores other work
            # did not use (a diagnostic for a busy machine; the verdict stays on 2 cores).
            left, _ = predict(stacklint, project, t_ms, d_ms, max(2.0 - cpu["others"], 0.1))
            ms = {name: v * 1000.0 for name, v in cpu.items() if name != "others"}
            results.append({**row, "predicted": predicted, "binding": binding, "measured": rps, "p50_ms": p50, "app_cpu_ms": ms["app"], "db_cpu_ms": ms["db"], "nginx_cpu_ms": ms.get("nginx"), "others": cpu["others"], "left": left, "ratio": ratio, "within": abs(ratio - 1.0) <= TOLERANCE})
            nginx_text = f", nginx {ms['nginx']:.3f} ms" if "nginx" in ms else ""
            print(f"{row['label']:<28} predicted {predicted:8.1f} ({binding}), measured {rps:8.1f}, ratio {ratio:.2f}; CPU per request: app {ms['app']:.3f} ms, PostgreSQL {ms['db']:.3f} ms{nginx_text}; other work used {cpu['others']:.2f} cores (predicted on the rest: {left:.1f}, ratio {rps / left if left else float('nan'):.2f}){'' if abs(ratio - 1) <= TOLERANCE else '  OUTSIDE ±25%'}", flush=True)
    finally:
        pg.stop()
    within = sum(r["within"] for r in results)
    table = table_markdown(results, calibration, nginx_calibration, within, seconds)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table)
    print(table)
    shutil.rmtree(work, ignore_errors=True)
    needed = len(results) if args.quick else 0.8 * len(results)
    sys.exit(0 if within >= needed else 1)


def table_markdown(results, calibration, nginx_calibration, within, seconds):
    lines = [f"wrk -c{CONNECTIONS} for {seconds} s per row, after a 3 s warm-up and a drain; `--target cpus=2`.", ""]
    if calibration:
        lines += ["Calibration at concurrency 1 (connections reused; D is the CPU of the app, PostgreSQL and wrk per request, which share the cores): " + "; ".join(f"{e.split(':')[0]} {v}: T {t:.2f} ms, D {d:.2f} ms" for (e, v), (t, d) in calibration.items()) + ".", ""]
    if nginx_calibration:
        lines += ["Calibration behind nginx at concurrency 1 (one worker of the class; T and D as above, nginx's CPU apart; the plain upstream only to compare, the rows get the keepalive one): " + "; ".join(f"{k} {v} {how} upstream: T {t:.2f} ms, D {d:.2f} ms, nginx {n:.3f} ms" for (k, v, how), (t, d, n, _) in nginx_calibration.items()) + ".", ""]
    lines += [
        "| row | gunicorn | nginx upstream | view | CONN_MAX_AGE | predicted req/s | binds | measured req/s | p50 ms | app CPU ms/req | PostgreSQL CPU ms/req | nginx CPU ms/req | other work, cores | predicted on the cores left | measured / predicted | within ±25% |",
        "|---|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        note = "" if r["within"] or not r["why"] else f" ({r['why']})"
        nginx_cpu = "–" if r.get("nginx_cpu_ms") is None else f"{r['nginx_cpu_ms']:.3f}"
        lines.append(f"| {r['label']} | `{' '.join(r['gunicorn'])}` | {r.get('nginx') or '–'} | {r['view']} | {r['cma']} | {r['predicted']:.1f} | {r['binding']} | {r['measured']:.1f} | {r['p50_ms']:.1f} | {r['app_cpu_ms']:.2f} | {r['db_cpu_ms']:.2f} | {nginx_cpu} | {r['others']:.2f} | {r['left']:.1f} | {r['ratio']:.2f} | {'yes' if r['within'] else 'no' + note} |")
    lines += ["", f"{within} of {len(results)} rows within ±25%. \"Other work\": cores busy with anything but this stack during the row (/proc/stat minus the stack's processes); the prediction assumes 0, and \"predicted on the cores left\" is the same prediction with `--target cpus=` 2 minus that (a diagnostic, not the verdict)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
