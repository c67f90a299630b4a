#!/usr/bin/env bash
# End-to-end: README.md's quickstart, executed as written, so the README cannot rot.
#
# The quickstart is the fenced code block of README.md whose first line is `# quickstart`
# (```sh … ``` or plain ``` … ```). Its lines are run, in order, by `bash -euo pipefail` in a
# fresh temporary directory, with the `sigstack` under test first on PATH and a throw-away
# HOME; background jobs the block starts (`sigstack up … &`) are stopped when it ends. The
# block passes if it exits 0 and cosign said `Verified OK`.
#
# Run:   bash tests/e2e/readme-quickstart.sh     (tests/all.sh runs it)
# Needs: what the block uses (cosign, curl), and 127.0.0.1:3000 free (the quickstart uses the
#        default listen address). SIGSTACK_BIN=PATH uses that binary instead of building the
#        release one; KEEP=1 keeps the work directory; SIGSTACK_README=FILE reads another file.
# Output: `ok`/`FAIL` lines and `e2e: N passed, M failed`, as the other suites.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"

passed=0
failed=0
ok() { echo "ok quickstart/$1"; passed=$((passed + 1)); }
fail() {
  echo "FAIL quickstart/$1"
  if [ -n "${2:-}" ]; then printf '%s\n' "$2" | tail -n 20 | sed 's/^/    | /'; fi
  failed=$((failed + 1))
}
finish() {
  echo "e2e: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# extract_quickstart FILE: the body of the first fenced block whose first line is
# `# quickstart` (that line included, fences excluded). Empty if there is none.
extract_quickstart() {
  awk '
    /^[[:space:]]*```/ {
      if (inblock) { if (isquick) exit; inblock = 0; next }
      inblock = 1; first = 1; isquick = 0; next
    }
    inblock && first { first = 0; if ($0 ~ /^[[:space:]]*# quickstart[[:space:]]*$/) isquick = 1 }
    inblock && isquick { print }
  ' "$1"
}

README="${SIGSTACK_README:-$ROOT/README.md}"
block="$(extract_quickstart "$README")"
if [ -z "$block" ]; then
  fail "README.md has a fenced block starting with \`# quickstart\`"
  finish
fi
ok "README.md has a fenced block starting with \`# quickstart\`"

if [ -n "${SIGSTACK_BIN:-}" ]; then
  SIGSTACK="$(cd "$(dirname "$SIGSTACK_BIN")" && pwd)/$(basename "$SIGSTACK_BIN")"
else
  echo "building sigstack (release)…"
  cargo build --release -p sigstack --locked --quiet
  SIGSTACK="${CARGO_TARGET_DIR:-$ROOT/target}/release/sigstack"
fi
[ -x "$SIGSTACK" ] || { fail "build: $SIGSTACK missing"; finish; }

if (exec 3<>/dev/tcp/127.0.0.1/3000) 2>/dev/null; then
  fail "127.0.0.1:3000 is free for the quickstart" "something already listens there"
  finish
fi

WORK="$(mktemp -d /tmp/sigstack-quickstart.XXXXXX)"
mkdir -p "$WORK/bin" "$WORK/home" "$WORK/run"
ln -s "$SIGSTACK" "$WORK/bin/sigstack"
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

# The block, as a script that stops its own background jobs however it ends.
{
  echo 'set -euo pipefail'
  # shellcheck disable=SC2016 # the trap is for the generated script, expanded there
  echo 'trap '"'"'for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done; wait'"'"' EXIT'
  printf '%s\n' "$block"
} >"$WORK/quickstart.sh"

rc=0
out="$(cd "$WORK/run" && PATH="$WORK/bin:$PATH" HOME="$WORK/home" \
  timeout 300 bash "$WORK/quickstart.sh" 2>&1)" || rc=$?
if [ "$rc" -eq 0 ]; then ok "the block runs to the end (exit 0)"; else
  fail "the block runs to the end (exit 0)" "exit $rc:
$out"
fi
if grep -q "Verified OK" <<<"$out"; then ok "cosign verified the signature"; else
  fail "cosign verified the signature" "$out"
fi
if (exec 3<>/dev/tcp/127.0.0.1/3000) 2>/dev/null; then
  fail "the quickstart's server is stopped afterwards" "127.0.0.1:3000 still answers"
else
  ok "the quickstart's server is stopped afterwards"
fi
finish
