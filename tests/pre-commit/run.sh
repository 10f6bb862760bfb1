#!/usr/bin/env bash
# The pre-commit hooks of .pre-commit-hooks.yaml, run by the real pre-commit (from pip) on a
# temporary git repository with a bad project:
#   1. `pre-commit try-repo <this repo> --all-files` runs both hooks: `stacklint` fails
#      with DKR005 and GUN001; `stacklint-fix` fixes the files (and fails: files changed);
#   2. `pre-commit try-repo <this repo> stacklint --all-files` then passes, and the files
#      hold the fixes.
#   3. Every file that `stacklint check --show-files` lists in a sample project of every
#      kind matches the hooks' `files:` regex (so a commit to any of them runs the hook).
#
# try-repo clones this repository (with uncommitted changes) and pip-installs the clone,
# which builds the maturin wheel in release mode. CARGO_TARGET_DIR points at this repo's
# target/ so the dependencies' release build is shared with scripts/build-wheel; the
# workspace's own crates are rebuilt per clone (cargo sees the fresh checkout's mtimes),
# which is why step 1 runs both hooks in one try-repo instead of one try-repo each.
#
# Needs python3 (venv), git, cargo and the network to PyPI (pre-commit, maturin).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
PYTHON="${PYTHON:-python3}"
VENV="$CARGO_TARGET_DIR/pre-commit-venv"
PRE_COMMIT_VERSION="4.7.0"

fail() { echo "tests/pre-commit: FAILED: $*" >&2; exit 1; }

echo "== pre-commit $PRE_COMMIT_VERSION (from pip, into $VENV)"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "pre-commit==$PRE_COMMIT_VERSION"
PRE_COMMIT="$VENV/bin/pre-commit"
"$PRE_COMMIT" --version

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# try-repo commits uncommitted changes into a shadow clone; git needs an identity for that.
export GIT_AUTHOR_NAME=stacklint-test GIT_AUTHOR_EMAIL=test@stacklint.invalid
export GIT_COMMITTER_NAME=stacklint-test GIT_COMMITTER_EMAIL=test@stacklint.invalid
# pre-commit's own cache (the try-repo store is a temporary folder of its own).
export PRE_COMMIT_HOME="$WORK/pre-commit-home"

PROJECT="$WORK/project"
mkdir -p "$PROJECT"
cd "$PROJECT"
git init -q
cat >Dockerfile <<'EOF'
FROM python:3.12-slim
ENV PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
USER app
CMD ["gunicorn", "-c", "gunicorn.conf.py", "app.wsgi:application"]
EOF
cat >gunicorn.conf.py <<'EOF'
bind = "0.0.0.0:8000"
workers = 2
max_requests = 1000
max_requests_jitter = 50
worker_tmp_dir = "/dev/shm"
EOF
echo "gunicorn==23.0.0" >requirements.txt
cat >stacklint.toml <<'EOF'
select = ["DKR", "GUN"]

[target]
cpus = 2
memory = "4GiB"
EOF
git add -A
git commit -q -m "a bad project"

# Runs pre-commit, keeps its output in $out and its exit code in $code.
run_pre_commit() {
  local start=$SECONDS
  set +e
  out="$("$PRE_COMMIT" "$@" 2>&1)"
  code=$?
  set -e
  echo "$out" | sed 's/^/    | /'
  echo "    (exit $code, $((SECONDS - start)) s)"
}

echo "== 1. try-repo, both hooks: stacklint fails with the findings, stacklint-fix fixes"
run_pre_commit try-repo "$ROOT" --all-files --color never
[ "$code" -ne 0 ] || fail "pre-commit passed on a bad project"
grep -Eq '^stacklint\.+Failed$' <<<"$out" || fail "the stacklint hook did not fail"
grep -q 'DKR005 \[pip-cache-in-image\]' <<<"$out" || fail "no DKR005 finding in the hook's output"
grep -q 'GUN001 \[workers-below-cpu-recommendation\]' <<<"$out" || fail "no GUN001 finding in the hook's output"
grep -Eq '^stacklint \(fix\)\.+Failed$' <<<"$out" || fail "the stacklint-fix hook did not report its change"
grep -q 'files were modified by this hook' <<<"$out" || fail "stacklint-fix changed no file"
grep -q 'RUN pip install --no-cache-dir -r requirements.txt' Dockerfile || fail "Dockerfile not fixed: $(cat Dockerfile)"
grep -q '^workers = 5$' gunicorn.conf.py || fail "gunicorn.conf.py not fixed: $(cat gunicorn.conf.py)"
git add -A

echo "== 2. try-repo stacklint on the fixed project passes"
run_pre_commit try-repo "$ROOT" stacklint --all-files --color never
[ "$code" -eq 0 ] || fail "the stacklint hook still fails after stacklint-fix"
grep -Eq '^stacklint\.+Passed$' <<<"$out" || fail "the stacklint hook did not run (files: regex?)"

echo "== 3. the hooks' files: regex matches every file stacklint reads"
# The binary try-repo just built (cargo put it in the shared target dir).
STACKLINT="$CARGO_TARGET_DIR/release/stacklint"
[ -x "$STACKLINT" ] || fail "no $STACKLINT after the hook's build"
SAMPLE="$WORK/sample"
mkdir -p "$SAMPLE"/{app/settings,deploy/nginx/conf.d,deploy/nginx/sites-available,deploy/supervisor,deploy/systemd,requirements,docker}
cd "$SAMPLE"
printf 'FROM python:3.12-slim\nCOPY docker/entrypoint.sh /entrypoint.sh\nCOPY deploy/nginx/mime.types /etc/nginx/mime.types\nCMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "app.wsgi"]\n' >Dockerfile
printf 'FROM python:3.12-slim\nCMD ["celery", "-A", "app", "worker"]\n' >Dockerfile.worker
printf 'FROM nginx:1.27\n' >web.dockerfile
printf 'services:\n  web:\n    build: .\n  redis:\n    image: redis:7\n    volumes:\n      - ./deploy/redis.conf:/usr/local/etc/redis/redis.conf\n' >docker-compose.yml
printf 'services:\n  web:\n    environment:\n      DEBUG: "0"\n' >docker-compose.override.yml
printf 'services:\n  db:\n    image: postgres:16\n' >compose.prod.yaml
printf 'web: gunicorn app.wsgi -w 3\n' >Procfile
printf '#!/bin/sh\nexec gunicorn app.wsgi\n' >docker/entrypoint.sh
printf 'workers = 3\n' >deploy/gunicorn.conf.py
printf 'DEBUG = False\n' >app/settings/production.py
printf 'from django.db import models\n' >app/models.py
printf 'worker_processes 2;\nevents {}\nhttp { server { listen 80; } }\n' >deploy/nginx/nginx.conf
printf 'server {\n  listen 80;\n  location / { proxy_pass http://web:8000; }\n}\n' >deploy/nginx/conf.d/app.conf
printf 'server {\n  listen 80;\n}\n' >deploy/nginx/sites-available/example
printf 'types {\n  text/html html;\n}\n' >deploy/nginx/mime.types
printf 'maxmemory 256mb\nappendonly no\n' >deploy/redis.conf
printf 'shared_buffers = 128MB\nwork_mem = 4MB\n' >deploy/postgresql.conf
printf 'shared_buffers = 1GB\nmax_connections = 200\n' >deploy/tuning.pg.conf
printf '[program:web]\ncommand=gunicorn app.wsgi\n' >deploy/supervisor/web.ini
printf '[supervisord]\n[program:worker]\ncommand=celery -A app worker\n' >deploy/supervisord.conf
printf '[Unit]\nDescription=web\n[Service]\nExecStart=/usr/bin/gunicorn app.wsgi\n' >deploy/systemd/web.service
printf 'django==5.2\n' >requirements/base.txt
printf 'gunicorn\n' >requirements.txt
printf '[project]\nname = "app"\n' >pyproject.toml
printf '[target]\ncpus = 4\n' >stacklint.toml
# Files stacklint does not read, which must not trigger the hook.
printf '# app\n' >README.md
printf 'notes\n' >notes.txt
printf '{}\n' >package.json
printf 'x: 1\n' >deploy/values.yaml
# The regex exactly as pre-commit reads it (YAML, then Python's re).
REGEX_CHECK="$VENV/bin/python"
listed="$("$STACKLINT" check . --show-files | sed 's/ ([a-z-]*)$//')"
[ "$(wc -l <<<"$listed")" -ge 20 ] || fail "stacklint --show-files listed too few sample files: $listed"
"$REGEX_CHECK" - "$ROOT/.pre-commit-hooks.yaml" "$listed" <<'EOF'
import re, sys, yaml
hooks = yaml.safe_load(open(sys.argv[1]))
listed = sys.argv[2].splitlines()
ignored = ["README.md", "notes.txt", "package.json", "deploy/values.yaml"]
bad = []
for hook in hooks:
    files = re.compile(hook["files"])
    bad += [f"{hook['id']}: {f} is read by stacklint but not matched" for f in listed if not files.search(f)]
    bad += [f"{hook['id']}: {f} is not read by stacklint but matched" for f in ignored if f not in listed and files.search(f)]
print("\n".join(bad) or f"files: matches the {len(listed)} files stacklint reads and none of {len(ignored)} others")
sys.exit(1 if bad else 0)
EOF

echo "tests/pre-commit: OK (${SECONDS} s)"
