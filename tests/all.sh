#!/usr/bin/env bash
# Every test sigstack has, from a fresh machine: installs what the tests need, starts
# PostgreSQL if it is down, then runs lint, the Rust test suites (both storage engines) and the
# end-to-end suites that drive the real Sigstore clients. README.md gives this command and
# .ci/run calls it, so the two cannot drift.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "PostgreSQL"
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  else
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432
export SIGSTACK_TEST_POSTGRES_URL="${SIGSTACK_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
# A run from scratch gains nothing from incremental caches; they only cost disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step "Real Sigstore clients"
bash tests/install-clients.sh

step "Format and lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Unit, property, vector and storage tests (SQLite and PostgreSQL), fuzz corpus replay"
cargo test --workspace --locked

step "Rust tests that drive the real clients (ignored by a plain cargo test, so never counted as passed without them)"
cargo test --locked -p sigstack-rekor --test api_clients -- --ignored
cargo test --locked -p sigstack-fulcio --test api_clients --test cert_pyca -- --ignored

step "Deployment files (Dockerfile, compose, Helm chart): parsed and checked"
bash tests/deploy-check.sh

step "End-to-end suites with real clients"
shopt -s nullglob
for suite in tests/e2e/*.sh; do
  # The suites' shared helpers, sourced by them; not a suite.
  [ "$suite" = tests/e2e/lib.sh ] && continue
  step "e2e: $suite"
  bash "$suite"
done
