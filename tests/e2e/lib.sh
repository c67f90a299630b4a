# Shared by the end-to-end suites (sourced, not run): the check helpers, the server
# helpers and the release binary. A suite sets `WORK` (its temporary directory) before it
# calls `check*`; everything else is plain functions over the globals below.
#
# Every check prints `ok NAME` or `FAIL NAME` (with the last lines of output), never aborts
# the suite, and leaves `LAST_OK` (1 or 0) and the command's output in `OUT` (stdout and
# stderr) and `STDOUT` (stdout alone).

passed=0
failed=0
OUT=""
STDOUT=""
PREFIX=""
LAST_OK=0

# sigstore-js's CLI, installed by tests/install-clients.sh into this ignored folder (the
# suites run from the repository root).
SIGSTORE_JS="$PWD/tests/e2e/.clients/sigstore-js/node_modules/.bin/sigstore"

# require_prerequisites NAME...: ends the suite at once, as one failed check, unless every
# prerequisite is installed. A NAME is a command on PATH, or `sigstore-python`, `sigstore-js`
# ($SIGSTORE_JS), or `psql-for-postgres` (psql, needed only when $engines lists postgres).
require_prerequisites() {
  local missing=() need
  for need in "$@"; do
    case "$need" in
      sigstore-python) python3 -c 'import sigstore' >/dev/null 2>&1 || missing+=("sigstore-python") ;;
      sigstore-js) [ -x "$SIGSTORE_JS" ] || missing+=("sigstore-js ($SIGSTORE_JS)") ;;
      psql-for-postgres)
        if [[ " ${engines:-} " == *" postgres "* ]]; then
          command -v psql >/dev/null 2>&1 || missing+=(psql)
        fi
        ;;
      *) command -v "$need" >/dev/null 2>&1 || missing+=("$need") ;;
    esac
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "FAIL e2e prerequisites: missing ${missing[*]} (run tests/install-clients.sh)" >&2
    echo "e2e: 0 passed, 1 failed"
    exit 1
  fi
}

# The binary under test: $SIGSTACK_BIN, or a release build of this checkout. Exits the
# suite (one failed check) if there is none.
use_release_binary() {
  if [ -n "${SIGSTACK_BIN:-}" ]; then
    SIGSTACK="$SIGSTACK_BIN"
  else
    echo "building sigstack (release)…"
    cargo build --release -p sigstack --locked --quiet
    SIGSTACK="${CARGO_TARGET_DIR:-$PWD/target}/release/sigstack"
  fi
  [ -x "$SIGSTACK" ] || { echo "FAIL build: $SIGSTACK missing"; echo "e2e: 0 passed, 1 failed"; exit 1; }
}

# Output of a failed check, indented, last lines only.
show() { printf '%s\n' "$1" | tail -n 15 | sed 's/^/    | /'; }

ok() { echo "ok $PREFIX$1"; passed=$((passed + 1)); LAST_OK=1; }
fail() {
  echo "FAIL $PREFIX$1"
  if [ -n "${2:-}" ]; then show "$2"; fi
  failed=$((failed + 1))
  LAST_OK=0
}

# run CMD...: under `timeout 60`; stdout and stderr in $OUT, stdout alone in $STDOUT.
run() {
  local rc=0
  timeout 60 "$@" >"$WORK/stdout" 2>"$WORK/stderr" || rc=$?
  STDOUT="$(cat "$WORK/stdout")"
  OUT="$(cat "$WORK/stdout" "$WORK/stderr")"
  return "$rc"
}

# check NAME CMD...: must succeed within 60 s.
check() {
  local name="$1"
  shift
  local rc=0
  run "$@" || rc=$?
  if [ "$rc" -eq 0 ]; then ok "$name"; else fail "$name" "exit $rc: $OUT"; fi
}

# check_grep NAME REGEX CMD...: must succeed and print something matching REGEX.
check_grep() {
  local name="$1" regex="$2"
  shift 2
  local rc=0
  run "$@" || rc=$?
  if [ "$rc" -eq 0 ] && grep -Eq -- "$regex" <<<"$OUT"; then ok "$name"; else
    fail "$name" "exit $rc, expected /$regex/: $OUT"
  fi
}

# check_refused NAME REGEX CMD...: must fail by answering (not by timing out), and say
# something matching REGEX (so a refusal for the wrong reason does not pass; "" accepts
# any answer).
check_refused() {
  local name="$1" regex="$2"
  shift 2
  local rc=0
  run "$@" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -Eq -- "$regex" <<<"$OUT"; then ok "$name"; else
    fail "$name" "exit $rc, expected a refusal matching /$regex/: $OUT"
  fi
}

# wait_ready URL PID [PATH]: until URL/PATH (default /readyz) answers 200, 20 s at most,
# while PID lives.
wait_ready() {
  local path="${3:-/readyz}"
  for _ in $(seq 1 200); do
    if curl -fsS -o /dev/null "$1$path" 2>/dev/null; then return 0; fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# stop_server PID: SIGTERM, 30 s to exit (then SIGKILL); the exit status in $STOPPED.
# (Not in a `$(…)` subshell: only this shell can `wait` for its own children.)
STOPPED=0
stop_server() {
  local pid="$1"
  STOPPED=0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  wait "$pid" 2>/dev/null || STOPPED=$?
}

# kill_children PID...: for cleanup traps; empty and already-gone PIDs are skipped.
kill_children() {
  local pid
  for pid in "$@"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
}

# drop_databases ADMIN_URL DB...: for cleanup traps.
drop_databases() {
  local admin="$1" db
  shift
  for db in "$@"; do
    psql "$admin" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" \
      >/dev/null 2>&1 || true
  done
}

# remove_work: deletes $WORK unless KEEP=1.
remove_work() {
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# finish: the closing summary line and the suite's exit status.
finish() {
  echo "e2e: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
