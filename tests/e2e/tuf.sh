#!/usr/bin/env bash
# End-to-end: the TUF repository sigstack serves at /tuf/, used the way the Sigstore clients
# use a private instance's mirror. cosign 2.5 `initialize --mirror URL/tuf --root
# 1.root.json`, then keyless sign-blob / verify-blob with no other trust input (no SIGSTORE_*
# variable, no --trusted-root); sigstore-python with `--instance URL/tuf` after
# `trust-instance`; sigstore-js verify with its TUF mirror options. Also: what is published
# equals what `trust-root` writes, the running server re-signs the timestamp by itself, and a
# stopped server's repository expires and is refused.
#
# Run:   bash tests/e2e/tuf.sh        (tests/all.sh runs every suite here)
# Needs: cosign, python3 with sigstore, sigstore-js (tests/install-clients.sh), curl.
#        KEEP=1 keeps the work directory; SIGSTACK_BIN=PATH uses that binary instead of
#        building the release one. SQLite only: the repository does not touch the database.
# Output: one `ok NAME` / `FAIL NAME` line per check, then `e2e: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/../.."

# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
require_prerequisites cosign curl python3 timeout sha256sum sigstore-python sigstore-js
use_release_binary

WORK="$(mktemp -d /tmp/sigstack-tuf.XXXXXX)"
server_pid=""
cleanup() {
  kill_children "$server_pid"
  remove_work
}
trap cleanup EXIT
# No trust input but the mirror: nothing inherited from the caller's shell.
unset SIGSTORE_ROOT_FILE SIGSTORE_CT_LOG_PUBLIC_KEY_FILE SIGSTORE_REKOR_PUBLIC_KEY \
  SIGSTORE_TSA_CERTIFICATE_FILE SIGSTORE_REKOR_API_URL TUF_MIRROR TUF_ROOT_JSON \
  COSIGN_REKOR_URL COSIGN_FULCIO_URL

data="$WORK/data"
f="$WORK/files"
mkdir -p "$WORK/home" "$f"
export HOME="$WORK/home" # every client's TUF cache lives under it
export TUF_ROOT="$WORK/home/cosign-tuf"
port="$(free_port)"
url="http://127.0.0.1:$port"
mirror="$url/tuf"
issuer="$url/dev-oidc"
email="tuf-e2e@sigstack.test"
# Short timestamps so the running server visibly re-signs (it renews at half-life).
ts_life=20

# --- the repository: made by init, remade by `tuf init` with short lifetimes ---------------
check_grep "sigstack init creates the TUF repository" "created .*tuf/repository" \
  "$SIGSTACK" init --data-dir "$data" --dev-oidc --listen "127.0.0.1:$port" --hostname 127.0.0.1
rm -rf "$data/tuf"
printf '\n[tuf]\ntimestamp_lifetime_secs = %s\n' "$ts_life" >>"$data/sigstack.toml"
check_grep "sigstack tuf init (an existing data directory)" "root threshold 2 of 3" \
  "$SIGSTACK" tuf init --data-dir "$data"
check_grep "sigstack tuf status verifies it from 1.root.json" "^verified" \
  "$SIGSTACK" tuf status --data-dir "$data"
root_json="$data/tuf/repository/1.root.json"

"$SIGSTACK" serve --data-dir "$data" --dev-oidc >"$WORK/serve.log" 2>&1 &
server_pid=$!
if wait_ready "$url" "$server_pid"; then ok "serve is up"; else
  fail "serve is up" "$(cat "$WORK/serve.log")"
  finish
  exit 1
fi

# --- served as a TUF mirror -------------------------------------------------------------
check_grep "GET /tuf/1.root.json" '"_type": "root"' curl -fsS "$mirror/1.root.json"
check_grep "GET /tuf/timestamp.json" '"_type": "timestamp"' curl -fsS "$mirror/timestamp.json"
version_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["signed"]["meta"][sys.argv[1]]["version"])' "$1"; }
snap_v="$(curl -fsS "$mirror/timestamp.json" | version_of snapshot.json || echo none)"
check_grep "GET /tuf/N.snapshot.json (N from timestamp.json)" '"_type": "snapshot"' \
  curl -fsS "$mirror/$snap_v.snapshot.json"
targets_v="$(curl -fsS "$mirror/$snap_v.snapshot.json" | version_of targets.json || echo none)"
check_grep "GET /tuf/N.targets.json (N from the snapshot)" '"_type": "targets"' \
  curl -fsS "$mirror/$targets_v.targets.json"
check_refused "keys are never served (/tuf/../keys/root-1.pem)" "404" \
  curl -fsS -o /dev/null -w '%{http_code}' --path-as-is "$mirror/../tuf/keys/root-1.pem"
check_refused "…nor hidden files (/tuf/.lock)" "404" \
  curl -fsS -o /dev/null -w '%{http_code}' "$mirror/.lock"

# --- published = what trust-root writes ---------------------------------------------------
check "sigstack trust-root" "$SIGSTACK" trust-root --data-dir "$data" --out "$WORK/trust"
check "trust-root wrote tuf-root.json (= 1.root.json)" cmp "$WORK/trust/tuf-root.json" "$root_json"
check_grep "cosign initialize with nothing but cosign.env (COSIGN_MIRROR, COSIGN_ROOT)" \
  "\"remote\": \"$mirror\"" env TUF_ROOT="$WORK/home/env-cosign" \
  bash -c "set -a; . '$WORK/trust/cosign.env'; exec cosign initialize"
for pair in trusted_root.json:trusted_root.json signing_config.json:signing_config.v0.2.json \
  ctfe.pub:ctfe.pub rekor.pub:rekor.pub ca-chain.pem:fulcio_v1.crt.pem; do
  local_name="${pair%%:*}" target="${pair#*:}"
  sha="$(sha256sum "$WORK/trust/$local_name" | cut -d' ' -f1)"
  if curl -fsS "$mirror/targets/$sha.$target" -o "$f/served.$target" &&
    cmp -s "$f/served.$target" "$WORK/trust/$local_name"; then
    ok "target $target is byte for byte trust-root's $local_name"
  else
    fail "target $target is byte for byte trust-root's $local_name"
  fi
done

token="$(timeout 60 "$SIGSTACK" dev-token --data-dir "$data" --email "$email" 2>/dev/null)" || token=""
echo "tuf artifact $RANDOM$RANDOM" >"$f/artifact.txt"
echo "something else" >"$f/tampered.txt"
who=(--certificate-identity "$email" --certificate-oidc-issuer "$issuer")

# --- cosign 2.5: the mirror is its only trust input ---------------------------------------
check "cosign initialize --mirror URL/tuf --root 1.root.json" \
  cosign initialize --mirror "$mirror" --root "$root_json"
check_grep "cosign sign-blob keyless (CT key from the mirror, SCT verified)" "Successfully verified SCT" \
  cosign sign-blob --identity-token "$token" --fulcio-url "$url" --rekor-url "$url" --yes \
  --bundle "$f/cosign.bundle" "$f/artifact.txt"
check_grep "cosign verify-blob (CA, log and CT keys from the mirror)" "Verified OK" \
  cosign verify-blob --rekor-url "$url" --bundle "$f/cosign.bundle" "${who[@]}" "$f/artifact.txt"
check_refused "…refuses a tampered artifact" "." \
  cosign verify-blob --rekor-url "$url" --bundle "$f/cosign.bundle" "${who[@]}" "$f/tampered.txt"
check_refused "…refuses a wrong identity" "identit" \
  cosign verify-blob --rekor-url "$url" --bundle "$f/cosign.bundle" \
  --certificate-identity someone@sigstack.test --certificate-oidc-issuer "$issuer" "$f/artifact.txt"
check "cosign sign-blob --new-bundle-format" \
  cosign sign-blob --identity-token "$token" --fulcio-url "$url" --rekor-url "$url" --yes \
  --new-bundle-format --bundle "$f/new.bundle" "$f/artifact.txt"
# cosign 2.5 fetches the trusted root of --new-bundle-format verification from the public
# mirror whatever `initialize` said (docs/compatibility.md); the TUF-verified copy that
# `initialize` cached is the one to hand it.
cached="$TUF_ROOT/targets/trusted_root.json"
check "cosign initialize cached the mirror's trusted_root.json (= trust-root's)" \
  cmp "$cached" "$WORK/trust/trusted_root.json"
check_grep "cosign verify-blob --new-bundle-format with that cached trusted root" "Verified OK" \
  cosign verify-blob --new-bundle-format --trusted-root "$cached" --bundle "$f/new.bundle" \
  "${who[@]}" "$f/artifact.txt"

# --- sigstore-python: --instance on the mirror --------------------------------------------
py=(python3 -m sigstore --instance "$mirror")
check "sigstore-python trust-instance 1.root.json" "${py[@]}" trust-instance "$root_json"
check "sigstore-python sign (--instance)" \
  "${py[@]}" sign --identity-token "$token" --bundle "$f/py.sigstore.json" "$f/artifact.txt"
check_grep "sigstore-python verify identity (--instance)" "OK: " \
  "${py[@]}" verify identity --bundle "$f/py.sigstore.json" --cert-identity "$email" \
  --cert-oidc-issuer "$issuer" "$f/artifact.txt"
check_grep "sigstore-python verifies cosign's bundle (--instance)" "OK: " \
  "${py[@]}" verify identity --bundle "$f/new.bundle" --cert-identity "$email" \
  --cert-oidc-issuer "$issuer" "$f/artifact.txt"

# --- sigstore-js: verify with its TUF mirror options -------------------------------------
# sigstore-js accepts a checkpoint only when its signer name (`log.hostname`) is part of the
# trusted root's tlog `baseUrl`, hence `--hostname 127.0.0.1` above (docs/compatibility.md).
check "sigstore-js verify (--tuf-mirror-url, --tuf-root-path)" \
  "$SIGSTORE_JS" verify "$f/py.sigstore.json" --blob-file "$f/artifact.txt" \
  --tuf-mirror-url "$mirror" --tuf-root-path "$root_json" --tuf-cache-path "$WORK/home/js-tuf" \
  --certificate-identity-uri "$email" --certificate-issuer "$issuer"
js_root="$(find "$WORK/home/js-tuf" -path '*/targets/trusted_root.json' | head -n 1)"
check "…with the trusted root it fetched from the mirror (= trust-root's)" \
  cmp "$js_root" "$WORK/trust/trusted_root.json"
check_refused "sigstore-js verify refuses a tampered artifact" "." \
  "$SIGSTORE_JS" verify "$f/py.sigstore.json" --blob-file "$f/tampered.txt" \
  --tuf-mirror-url "$mirror" --tuf-root-path "$root_json" --tuf-cache-path "$WORK/home/js-tuf"

# --- the running server re-signs by itself ------------------------------------------------
ts_version() { curl -fsS "$mirror/timestamp.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["signed"]["version"])'; }
first="$(ts_version || echo 0)"
renewed=""
for _ in $(seq 1 $((ts_life * 2))); do
  now_version="$(ts_version || echo 0)"
  if [ "$now_version" -gt "$first" ]; then renewed="$now_version"; break; fi
  sleep 1
done
if [ -n "$renewed" ]; then ok "serve re-signed timestamp.json (version $first -> $renewed)"; else
  fail "serve re-signed timestamp.json" "still version $first: $(tail -n 5 "$WORK/serve.log")"
fi
check_grep "…and clients still accept the repository" "^verified" \
  "$SIGSTACK" tuf status --data-dir "$data"
check_grep "sigstore-python verifies again after the re-signing" "OK: " \
  "${py[@]}" verify identity --bundle "$f/py.sigstore.json" --cert-identity "$email" \
  --cert-oidc-issuer "$issuer" "$f/artifact.txt"

# --- a stopped signer: its timestamp expires and clients refuse it ------------------------
check "sigstack tuf export (for a static server)" \
  "$SIGSTACK" tuf export --data-dir "$data" --out "$WORK/static/tuf"
static_port="$(free_port)"
python3 -m http.server --bind 127.0.0.1 "$static_port" --directory "$WORK/static" >/dev/null 2>&1 &
static_pid=$!
static="http://127.0.0.1:$static_port/tuf"
sleep 1
pys=(env HOME="$WORK/home-static" python3 -m sigstore --instance "$static")
mkdir -p "$WORK/home-static" "$WORK/home-late"
check "sigstore-python trust-instance on the static export" "${pys[@]}" trust-instance "$root_json"
check_grep "sigstore-python verifies with the static export" "OK: " \
  "${pys[@]}" verify identity --bundle "$f/py.sigstore.json" --cert-identity "$email" \
  --cert-oidc-issuer "$issuer" "$f/artifact.txt"
stop_server "$server_pid"
server_pid="$static_pid"
sleep $((ts_life + 1))
check_refused "an expired repository fails tuf status" "xpired" \
  "$SIGSTACK" tuf status --data-dir "$data"
pyl=(env HOME="$WORK/home-late" python3 -m sigstore --instance "$static")
run "${pyl[@]}" trust-instance "$root_json" || true
check_refused "sigstore-python (fresh cache) refuses the expired export" "Failed to refresh TUF metadata|xpired" \
  "${pyl[@]}" verify identity --bundle "$f/py.sigstore.json" --cert-identity "$email" \
  --cert-oidc-issuer "$issuer" "$f/artifact.txt"
check_refused "cosign initialize (fresh cache) refuses it" "xpired" \
  env TUF_ROOT="$WORK/home/fresh-cosign" cosign initialize --mirror "$static" --root "$root_json"
kill_children "$static_pid"
server_pid=""
check_grep "sigstack tuf publish renews it" "signed a new timestamp" \
  "$SIGSTACK" tuf publish --data-dir "$data"
check_grep "…and it verifies again" "^verified" "$SIGSTACK" tuf status --data-dir "$data"

echo "cosign: $(cosign version 2>&1 | grep -i '^gitversion' | awk '{print $2}')," \
  "sigstore-python: $(python3 -m sigstore --version 2>&1 | awk '{print $2}')"
finish
