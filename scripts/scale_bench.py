#!/usr/bin/env python3
"""Scaling benchmark: time per MB of `stacklint check` on synthetic files of each kind.

usage: scripts/scale_bench.py [--sizes 0.25,0.5,1,2,4,8] [--kinds nginx,...] [--runs 3]
                              [--no-build] [--keep DIR] [--bound 2.0]

Generates one project per (kind, size): a single file of that kind grown to the size
(MB = 10^6 bytes) out of a realistic block repeated with varied names, so that the rules
find something in every block (findings scale with the file). Runs the release binary
(`check --output-format json --exit-zero`, output to a file) on each, prints the median
wall and CPU (user + system) time and the CPU time per MB, and exits 1 when, for some
kind, the highest CPU time per MB is more than `--bound` (2×) the lowest: every rule and
parser must be linear in its file. The bound is checked on CPU time because wall time on
a shared machine mostly measures the neighbours. Files over 16 MiB are refused by design, so the largest size is 8 MB. The findings
of each run are counted (they grow with the file); a run whose file does not parse is
flagged, since its time measures the parser's error path only.

tree-sitter-yaml does not parse a YAML file with nodes past row 32,767, so the compose
files are made of long lines (about 350 bytes a line); the script flags any file that
does not parse.

Kinds: nginx (nginx.conf), dockerfile (Dockerfile), settings (Django settings.py),
gunicorn (gunicorn.conf.py), compose (docker-compose.yml), procfile (Procfile).
"""
import argparse, json, os, resource, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1_000_000


def nginx(i):
    return f"""    upstream app_{i} {{
        server 127.0.0.1:{8000 + i % 1000};
    }}
    server {{
        listen 80;
        server_name site{i}.example.com;
        gzip off;
        location / {{
            proxy_pass http://app_{i};
            proxy_set_header Host $host;
            proxy_buffering off;
        }}
        location /ws/{i}/ {{
            proxy_pass http://app_{i};
        }}
        location /static/ {{
            alias /srv/static/{i}/;
        }}
    }}
"""


def nginx_file(size):
    head = "worker_processes 1;\nevents {\n    worker_connections 512;\n}\nhttp {\n    server_tokens on;\n"
    return head, nginx, "}\n"


def dockerfile(i):
    return f"""FROM python:3.12 AS stage{i}
ENV APP_{i}=1
RUN pip install -r requirements-{i}.txt
COPY . /app/{i}
RUN apt-get update && apt-get install -y libpq-dev && pip install django=={i % 5}.0
WORKDIR /app/{i}
CMD python manage.py runserver 0.0.0.0:{8000 + i % 1000}
"""


def settings(i):
    return f"""DEBUG_{i} = True
ALLOWED_HOSTS += ["host{i}.example.com"]
MIDDLEWARE += ["app{i}.middleware.Thing"]
DATABASES["db{i}"] = {{"ENGINE": "django.db.backends.postgresql", "NAME": "db{i}", "CONN_MAX_AGE": 0}}
CACHES["c{i}"] = {{"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
INSTALLED_APPS.append("app{i}")
SECRET_KEY_{i} = "django-insecure-{i}"
if DEBUG_{i}:
    SESSION_COOKIE_SECURE = False
"""


def settings_file(size):
    head = """import os
DEBUG = True
SECRET_KEY = "django-insecure-abc"
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.admin", "django.contrib.sessions"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware", "django.middleware.gzip.GZipMiddleware"]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "app"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
ROOT_URLCONF = "app.urls"
WSGI_APPLICATION = "app.wsgi.application"
"""
    return head, settings, ""


def gunicorn(i):
    return f"""workers = {i % 7 + 1}
threads = {i % 3 + 1}
worker_class = "sync"
bind = "0.0.0.0:{8000 + i % 1000}"
timeout = {30 + i % 60}
raw_env_{i} = ["A={i}"]
def on_starting_{i}(server):
    server.log.info("starting {i}")
"""


def compose(i):
    # Long lines: tree-sitter-yaml (0.7.2) turns a whole file into one ERROR once a node
    # sits past row 32,767 (measured: 16,383 two-line services parse, 16,384 do not), so
    # the lines are long enough for 8 MB to stay under 32k lines.
    pad = "x" * 600
    return f"""  web{i}:
    image: app{i}:latest
    command: gunicorn app.wsgi --workers {i % 5 + 1} --bind 0.0.0.0:{8000 + i % 1000} --access-logformat '{pad}'
    environment:
      - DJANGO_SETTINGS_MODULE=app.settings
      - KEY_{i}={pad}
      - OTHER_{i}={pad}
    deploy: {{resources: {{limits: {{cpus: "2", memory: 1G}}}}, labels: {{note: "{pad}"}}}}
"""


def compose_file(size):
    head = "services:\n  db:\n    image: postgres:16\n"
    return head, compose, ""


def procfile(i):
    return f"web{i}: gunicorn app{i}.wsgi --workers {i % 5 + 1} --bind 0.0.0.0:$PORT\nworker{i}: celery -A app{i} worker\n"


KINDS = {
    # kind: (file name, (head, block(i), tail) for a size)
    "nginx": ("nginx.conf", nginx_file),
    "dockerfile": ("Dockerfile", lambda s: ("", dockerfile, "")),
    "settings": ("app/settings.py", settings_file),
    "gunicorn": ("gunicorn.conf.py", lambda s: ("", gunicorn, "")),
    "compose": ("docker-compose.yml", compose_file),
    "procfile": ("Procfile", lambda s: ("", procfile, "")),
}


def generate(kind, size_mb):
    """The text of a file of `kind` of about `size_mb` MB."""
    head, block, tail = KINDS[kind][1](size_mb)
    target = int(size_mb * MB)
    parts, n, i = [head], len(head) + len(tail), 0
    while n < target:
        b = block(i)
        parts.append(b)
        n += len(b)
        i += 1
    parts.append(tail)
    return "".join(parts)


def project(base, kind, size_mb):
    """A folder holding one generated file (and what makes it lintable as that kind)."""
    d = base / f"{kind}-{size_mb}"
    name = KINDS[kind][0]
    (d / name).parent.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(generate(kind, size_mb))
    if kind == "settings":
        (d / "app" / "__init__.py").write_text("")
        (d / "stacklint.toml").write_text('[django]\nsettings-module = "app.settings"\n')
    return d, (d / name).stat().st_size


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_once(bin_, d, out):
    """(wall, CPU) seconds of one run, its JSON output written to `out`."""
    with open(out, "wb") as f:
        c = cpu_children()
        t = time.perf_counter()
        p = subprocess.run([bin_, "check", "--output-format", "json", "--exit-zero", "--quiet", str(d)], stdout=f, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t
        cpu = cpu_children() - c
    if p.returncode != 0:
        sys.exit(f"stacklint exited with {p.returncode} on {d}: {p.stderr.decode()[:500]}")
    return wall, cpu


def findings(out):
    """(findings, parse errors) in a run's JSON output."""
    with open(out) as f:
        items = json.load(f)
    return len(items), sum(1 for i in items if i.get("code") == "SYN001")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="0.25,0.5,1,2,4,8")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bound", type=float, default=2.0)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--keep", help="write the generated projects here and keep them")
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "stacklint"))
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "stacklint"], cwd=ROOT, check=True)
    sizes = [float(s) for s in args.sizes.split(",")]
    kinds = args.kinds.split(",")
    for k in kinds:
        if k not in KINDS:
            sys.exit(f"unknown kind `{k}`: one of {', '.join(KINDS)}")
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="stacklint-scale-"))
    base.mkdir(parents=True, exist_ok=True)
    failed = []
    unparsed = []
    print(f"{'kind':11} {'size':>8} {'wall':>10} {'CPU':>10} {'CPU per MB':>13} {'findings':>9}")
    try:
        for kind in kinds:
            per_mb = []
            for s in sizes:
                d, nbytes = project(base, kind, s)
                out = base / f"{kind}-{s}.json"
                runs = [run_once(args.bin, d, out) for _ in range(args.runs)]
                wall = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[1] for r in runs)
                mb = nbytes / MB
                per_mb.append(cpu / mb)
                n, errors = findings(out)
                out.unlink()
                # A file the parser rejects is not linted: its time says nothing about the rules.
                note = f"  PARSE ERROR: not linted ({errors})" if errors else ""
                if errors:
                    unparsed.append(f"{kind} {mb:.2f}MB")
                print(f"{kind:11} {mb:>6.2f}MB {wall * 1000:>8.1f}ms {cpu * 1000:>8.1f}ms {cpu / mb * 1000:>8.1f}ms/MB {n:>9}{note}", flush=True)
                if not args.keep:
                    shutil.rmtree(d)
            ratio = max(per_mb) / min(per_mb)
            ok = ratio <= args.bound
            print(f"{kind:11} spread of CPU time per MB: {ratio:.2f}x ({'ok' if ok else f'over {args.bound}x'})", flush=True)
            if not ok:
                failed.append(kind)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    if unparsed:
        print(f"not parsed (times not comparable): {', '.join(unparsed)}")
    if failed:
        sys.exit(f"time per MB not flat within {args.bound}x for: {', '.join(failed)}")


if __name__ == "__main__":
    main()
