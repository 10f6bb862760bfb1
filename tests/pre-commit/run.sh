#!/usr/bin/env bash
# The pre-commit hooks of .pre-commit-hooks.yaml, run by the real pre-commit (from pip) on a
# temporary git repository with a bad project:
#   1. `pre-commit try-repo <this repo> --all-files` runs both hooks: `stacklint` fails
#      with DKR005 and GUN001; `stacklint-fix` fixes the files (and fails: files changed);
#   2. `pre-commit try-repo <this repo> stacklint --all-files` then passes, and the files
#      hold the fixes.
# (tests/pre_commit_hooks.rs checks, in `cargo test`, that pre-commit
# accepts the manifest and that its `files:` regex matches every kind of file stacklint reads.)
#
# try-repo clones this repository (with uncommitted changes) and pip-installs the clone,
# which builds the maturin wheel. Here it is built with cargo's dev profile
# (MATURIN_PEP517_ARGS): this test checks how the hooks are wired, and scripts/build-wheel
# checks the release wheel; CARGO_TARGET_DIR points at this repo's target/ so the
# dependencies the test suite already built are reused. The workspace's own crates are
# rebuilt per clone (cargo sees the fresh checkout's mtimes), which is why step 1 runs both
# hooks in one try-repo instead of one try-repo each.
#
# Needs python3 (venv), git, cargo and the network to PyPI (pre-commit, maturin).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export MATURIN_PEP517_ARGS="${MATURIN_PEP517_ARGS:---profile dev}"
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

echo "tests/pre-commit: OK (${SECONDS} s)"
