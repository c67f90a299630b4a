#!/usr/bin/env bash
# End-to-end: the real, unmodified Sigstore clients (rekor-cli, cosign 2.5) against a real
# `sigstack serve`, once on SQLite and once on PostgreSQL, doing what a user would do.
#
# Run:   bash tests/e2e/rekor-clients.sh        (tests/all.sh runs it after `cargo test`)
# Needs: cosign, rekor-cli, gpg, minisign (tests/install-clients.sh), openssl, curl, python3, and for the
#        PostgreSQL half a server at 127.0.0.1:5432 with trust auth for user `postgres`
#        (SIGSTACK_TEST_POSTGRES_URL picks another server; SIGSTACK_E2E_PG_ADMIN_URL the exact
#        database to run CREATE DATABASE in; URLs without query parameters).
#        SIGSTACK_E2E_ENGINES="sqlite" runs one engine only; KEEP=1 keeps the work directory;
#        SIGSTACK_BIN=PATH uses that binary instead of building the release one.
# Output: one `ok NAME` / `FAIL NAME` line per check, then `e2e: N passed, M failed`; the
#        exit status is non-zero if anything failed. Every client call runs under
#        `timeout 60`. What the clients need to trust a private log: tests/e2e/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

engines="${SIGSTACK_E2E_ENGINES:-sqlite postgres}"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
require_prerequisites cosign rekor-cli gpg gpgconf minisign openssl curl python3 timeout psql-for-postgres
use_release_binary  # $SIGSTACK_BIN: a binary built elsewhere (development); CI always builds

WORK="$(mktemp -d /tmp/sigstack-e2e.XXXXXX)"
# Where CREATE/DROP DATABASE run (the always-present `postgres` database of the server the
# Rust tests use); the per-run database lives on the same server.
pg_server="${SIGSTACK_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
PG_ADMIN_URL="${SIGSTACK_E2E_PG_ADMIN_URL:-${pg_server%/*}/postgres}"
server_pid=""
standby_pid=""
pg_databases=()
gnupg_homes=()

cleanup() {
  # gpg starts an agent per GNUPGHOME; stop exactly those.
  for home in "${gnupg_homes[@]}"; do
    GNUPGHOME="$home" gpgconf --kill all >/dev/null 2>&1 || true
  done
  kill_children "$server_pid" "$standby_pid"
  drop_databases "$PG_ADMIN_URL" "${pg_databases[@]}"
  remove_work
}
trap cleanup EXIT

# After a check that adds an entry: count it if the check passed (expected tree sizes).
logged=0
counted() { if [ "$LAST_OK" = 1 ]; then logged=$((logged + 1)); fi; }

# start_server LOG ARGS...: `sigstack serve ARGS` in the background; its pid in $STARTED.
STARTED=""
start_server() {
  local log="$1"
  shift
  "$SIGSTACK" serve "$@" >"$log" 2>&1 &
  STARTED=$!
}

# hashedrekord_json SIGFILE PUBFILE SHA256HEX: a proposed hashedrekord entry, for curl.
hashedrekord_json() {
  printf '{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"signature":{"content":"%s","publicKey":{"content":"%s"}},"data":{"hash":{"algorithm":"sha256","value":"%s"}}}}' \
    "$(base64 -w0 <"$1")" "$(base64 -w0 <"$2")" "$3"
}

# rekord_json FORMAT SIGFILE PUBFILE ARTIFACT: a proposed rekord entry, for curl.
rekord_json() {
  printf '{"apiVersion":"0.0.1","kind":"rekord","spec":{"signature":{"format":"%s","content":"%s","publicKey":{"content":"%s"}},"data":{"content":"%s"}}}' \
    "$1" "$(base64 -w0 <"$2")" "$(base64 -w0 <"$3")" "$(base64 -w0 <"$4")"
}

# post_entry NAME STATUS REGEX JSON URL: POST JSON as a new entry; the answer must have
# STATUS and a body matching REGEX.
post_entry() {
  local name="$1" want="$2" regex="$3" body="$4" url="$5" code out
  out="$(mktemp)"
  code="$(curl -s -o "$out" -w '%{http_code}' --max-time 60 -H 'Content-Type: application/json' \
    --data-binary "$body" "$url/api/v1/log/entries" || true)"
  if [ "$code" = "$want" ] && grep -Eq -- "$regex" "$out"; then ok "$name"; else
    fail "$name" "HTTP $code (want $want, /$regex/): $(cat "$out")"
  fi
  rm -f "$out"
}

# One engine's whole run. $1 = sqlite | postgres.
suite() {
  local engine="$1"
  PREFIX="$engine/"
  local dir="$WORK/$engine"
  mkdir -p "$dir/home" "$dir/files"
  local data="$dir/data" f="$dir/files"
  export HOME="$dir/home" # rekor-cli keeps ~/.rekor/state.json; cosign its TUF cache
  local db_args=() url_pg=""
  # A new log starts with its own genesis entry at index 0 (sigstore-go refuses index 0).
  logged=1

  check "sigstack init" "$SIGSTACK" init --data-dir "$data" --hostname sigstack-e2e.test
  check_grep "sigstack init again keeps the key" "kept .*log-key.pem" \
    "$SIGSTACK" init --data-dir "$data"

  if [ "$engine" = postgres ]; then
    local db="sigstack_e2e_$$_$RANDOM"
    pg_databases+=("$db")
    url_pg="${PG_ADMIN_URL%/*}/$db"
    check "create database" psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\""
    db_args=(--database-url "$url_pg")
    check_refused "serve refuses an unmigrated database" "" \
      "$SIGSTACK" serve --data-dir "$data" --listen 127.0.0.1:0 "${db_args[@]}"
    grep -q migrate <<<"$OUT" || fail "unmigrated database message says to run migrate" "$OUT"
    check "sigstack migrate" "$SIGSTACK" migrate --database-url "$url_pg"
    check "sigstack migrate is idempotent" "$SIGSTACK" migrate --database-url "$url_pg"
  fi

  local port
  port="$(free_port)"
  local url="http://127.0.0.1:$port"
  start_server "$dir/serve.log" --data-dir "$data" --listen "127.0.0.1:$port" "${db_args[@]}"
  server_pid="$STARTED"
  if wait_ready "$url" "$server_pid" /healthz; then ok "serve answers /healthz"; else
    fail "serve answers /healthz" "$(cat "$dir/serve.log")"
    stop_server "$server_pid"
    server_pid=""
    return
  fi
  check_grep "serve is the writer (/readyz 200)" "^200$" \
    curl -s -o /dev/null -w '%{http_code}' "$url/readyz"

  local rekor=(rekor-cli --rekor_server "$url")
  check_grep "rekor-cli get --log-index 0: the log's own genesis hashedrekord" \
    "HashedRekordObj.*\"LogIndex\":0," "${rekor[@]}" get --log-index 0 --format json

  # --- rekor-cli: hashedrekord with an ECDSA P-256 key pair (x509 PKI format) ----------
  openssl ecparam -name prime256v1 -genkey -noout -out "$f/ec.key" 2>/dev/null
  openssl ec -in "$f/ec.key" -pubout -out "$f/ec.pub" 2>/dev/null
  echo "sigstack e2e artifact $engine $RANDOM$RANDOM" >"$f/artifact.txt"
  openssl dgst -sha256 -sign "$f/ec.key" -out "$f/artifact.sig" "$f/artifact.txt"
  local sha
  sha="$(sha256sum "$f/artifact.txt" | cut -d' ' -f1)"
  local key_args=(--public-key "$f/ec.pub" --pki-format x509)

  # rekor-cli 1.3 needs --artifact-hash for hashedrekord even with a local --artifact
  # ("error: invalid value for hash" otherwise, before anything is sent).
  check_grep "rekor-cli upload hashedrekord" "Created entry at index [0-9]+" \
    "${rekor[@]}" upload --type hashedrekord --artifact "$f/artifact.txt" \
    --artifact-hash "$sha" --signature "$f/artifact.sig" "${key_args[@]}"
  counted
  local id1
  id1="$(grep -oE '[0-9a-f]{80}' <<<"$OUT" | head -n1 || true)"
  # Later checks grep for the UUID: an empty one would match anything.
  [ -n "$id1" ] || { fail "upload printed an 80-hex entry ID" "$OUT"; id1="$(printf 'x%.0s' {1..80})"; }
  local uuid1="${id1:16}"

  check_grep "rekor-cli upload duplicate says it exists" "already exists.*$id1" \
    "${rekor[@]}" upload --type hashedrekord --artifact "$f/artifact.txt" \
    --artifact-hash "$sha" --signature "$f/artifact.sig" "${key_args[@]}"

  # A signature over something else must be refused and not logged.
  echo "something else" >"$f/other.txt"
  check_refused "rekor-cli upload with a wrong signature is refused" "" \
    "${rekor[@]}" upload --type hashedrekord --artifact "$f/other.txt" \
    --artifact-hash "$(sha256sum "$f/other.txt" | cut -d' ' -f1)" \
    --signature "$f/artifact.sig" "${key_args[@]}"
  # rekor-cli checks the signature itself before sending; the server must refuse too.
  local bad_entry code
  bad_entry="$(hashedrekord_json "$f/artifact.sig" "$f/ec.pub" \
    "$(sha256sum "$f/other.txt" | cut -d' ' -f1)")"
  code="$(curl -s -o "$f/bad.out" -w '%{http_code}' --max-time 60 -H 'Content-Type: application/json' \
    --data "$bad_entry" "$url/api/v1/log/entries" || true)"
  if [ "$code" = 400 ]; then ok "server answers 400 to a wrong signature"; else
    fail "server answers 400 to a wrong signature" "HTTP $code: $(cat "$f/bad.out" 2>/dev/null)"
  fi

  # --- rekor-cli: intoto with a DSSE envelope signed by the same key --------------------
  local statement payload_b64 pae_len
  statement="{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"predicateType\":\"https://example.test/e2e/v1\",\"subject\":[{\"name\":\"artifact.txt\",\"digest\":{\"sha256\":\"$sha\"}}],\"predicate\":{\"engine\":\"$engine\"}}"
  local ptype="application/vnd.in-toto+json"
  printf '%s' "$statement" >"$f/statement.json"
  pae_len="$(wc -c <"$f/statement.json" | tr -d ' ')"
  { printf 'DSSEv1 %d %s %d ' "${#ptype}" "$ptype" "$pae_len"; cat "$f/statement.json"; } >"$f/pae.bin"
  openssl dgst -sha256 -sign "$f/ec.key" -out "$f/pae.sig" "$f/pae.bin"
  payload_b64="$(base64 -w0 <"$f/statement.json")"
  printf '{"payloadType":"%s","payload":"%s","signatures":[{"keyid":"","sig":"%s"}]}' \
    "$ptype" "$payload_b64" "$(base64 -w0 <"$f/pae.sig")" >"$f/envelope.json"
  check_grep "rekor-cli upload intoto" "Created entry at index [0-9]+" \
    "${rekor[@]}" upload --type intoto --artifact "$f/envelope.json" --public-key "$f/ec.pub"
  counted
  local id2 index2
  id2="$(grep -oE '[0-9a-f]{80}' <<<"$OUT" | head -n1 || true)"
  [ -n "$id2" ] || id2="$(printf 'x%.0s' {1..80})"
  index2="$(grep -oE 'index [0-9]+' <<<"$OUT" | grep -oE '[0-9]+' || echo 1)"

  # --- reads --------------------------------------------------------------------------
  check_grep "rekor-cli get --uuid" "$uuid1" "${rekor[@]}" get --uuid "$uuid1"
  check_grep "rekor-cli get --uuid (80-hex entry ID)" "$uuid1" "${rekor[@]}" get --uuid "$id1"
  check_grep "rekor-cli get --log-index" "${id2:16}" "${rekor[@]}" get --log-index "$index2"
  check_grep "rekor-cli search --sha" "$uuid1" "${rekor[@]}" search --sha "$sha"
  check_grep "rekor-cli search --sha sha256:" "$uuid1" "${rekor[@]}" search --sha "sha256:$sha"
  check_grep "rekor-cli search --public-key" "$uuid1" "${rekor[@]}" search "${key_args[@]}"
  check "rekor-cli verify --uuid" "${rekor[@]}" verify --uuid "$uuid1"
  check "rekor-cli verify --log-index" "${rekor[@]}" verify --log-index "$index2"
  check "rekor-cli verify artifact+signature+key" "${rekor[@]}" verify --type hashedrekord \
    --artifact "$f/artifact.txt" --artifact-hash "$sha" --signature "$f/artifact.sig" \
    "${key_args[@]}"
  # --- rekor-cli: rekord with gpg signatures (pgp, rekor-cli's default PKI format) -------
  # A throw-away key ring, an RSA key without passphrase; armored and binary signatures.
  export GNUPGHOME="$dir/gnupg"
  mkdir -p -m 700 "$GNUPGHOME"
  gnupg_homes+=("$GNUPGHOME")
  local gpg_batch=(gpg --batch --quiet --pinentry-mode loopback --passphrase '')
  local pgp_email="e2e-$engine@sigstack.example"
  check "gpg --quick-gen-key rsa3072" "${gpg_batch[@]}" --quick-gen-key \
    "sigstack e2e $engine <$pgp_email>" rsa3072 sign never
  "${gpg_batch[@]}" --armor --export "$pgp_email" >"$f/pgp.pub.asc"
  echo "sigstack e2e pgp artifact $engine $RANDOM$RANDOM" >"$f/pgp.txt"
  echo "sigstack e2e pgp artifact 2 $engine $RANDOM$RANDOM" >"$f/pgp2.txt"
  check "gpg --detach-sign --armor" "${gpg_batch[@]}" --local-user "$pgp_email" \
    --detach-sign --armor --output "$f/pgp.txt.asc" "$f/pgp.txt"
  check "gpg --detach-sign (binary)" "${gpg_batch[@]}" --local-user "$pgp_email" \
    --detach-sign --output "$f/pgp.txt.sig" "$f/pgp.txt"
  "${gpg_batch[@]}" --local-user "$pgp_email" --detach-sign --armor \
    --output "$f/pgp2.txt.asc" "$f/pgp2.txt" || fail "gpg signing pgp2.txt (test setup)"

  check_grep "rekor-cli upload rekord pgp (default --pki-format)" "Created entry at index [0-9]+" \
    "${rekor[@]}" upload --artifact "$f/pgp.txt" --signature "$f/pgp.txt.asc" \
    --public-key "$f/pgp.pub.asc"
  counted
  local pgp_id
  pgp_id="$(grep -oE '[0-9a-f]{80}' <<<"$OUT" | head -n1 || true)"
  [ -n "$pgp_id" ] || { fail "pgp upload printed an 80-hex entry ID" "$OUT"; pgp_id="$(printf 'x%.0s' {1..80})"; }
  check_grep "rekor-cli upload rekord pgp again says it exists" "already exists.*$pgp_id" \
    "${rekor[@]}" upload --artifact "$f/pgp.txt" --signature "$f/pgp.txt.asc" \
    --public-key "$f/pgp.pub.asc"
  check_grep "rekor-cli upload --pki-format pgp" "Created entry at index [0-9]+" \
    "${rekor[@]}" upload --pki-format pgp --artifact "$f/pgp2.txt" \
    --signature "$f/pgp2.txt.asc" --public-key "$f/pgp.pub.asc"
  counted
  local pgp2_id
  pgp2_id="$(grep -oE '[0-9a-f]{80}' <<<"$OUT" | head -n1 || true)"
  [ -n "$pgp2_id" ] || pgp2_id="$(printf 'x%.0s' {1..80})"
  # A binary signature is stored armored: another entry for the same artifact.
  check_grep "rekor-cli upload rekord pgp with a binary signature" "Created entry at index [0-9]+" \
    "${rekor[@]}" upload --pki-format pgp --artifact "$f/pgp.txt" \
    --signature "$f/pgp.txt.sig" --public-key "$f/pgp.pub.asc"
  counted
  local pgp_bin_id
  pgp_bin_id="$(grep -oE '[0-9a-f]{80}' <<<"$OUT" | head -n1 || true)"
  [ -n "$pgp_bin_id" ] || pgp_bin_id="$(printf 'x%.0s' {1..80})"
  check_grep "rekor-cli get --uuid (pgp entry)" "${pgp_id:16}" "${rekor[@]}" get --uuid "$pgp_id"
  grep -q '"format":"pgp"\|Format.*pgp\|pgp' <<<"$OUT" || fail "rekor-cli get shows the pgp format" "$OUT"
  check "rekor-cli verify rekord pgp (armored)" "${rekor[@]}" verify --pki-format pgp \
    --artifact "$f/pgp.txt" --signature "$f/pgp.txt.asc" --public-key "$f/pgp.pub.asc"
  check "rekor-cli verify rekord pgp (binary)" "${rekor[@]}" verify --pki-format pgp \
    --artifact "$f/pgp.txt" --signature "$f/pgp.txt.sig" --public-key "$f/pgp.pub.asc"
  check "rekor-cli verify --uuid (pgp entry)" "${rekor[@]}" verify --uuid "$pgp2_id"
  check_grep "rekor-cli search --public-key --pki-format pgp" "${pgp_id:16}" \
    "${rekor[@]}" search --public-key "$f/pgp.pub.asc" --pki-format pgp
  grep -q "${pgp2_id:16}" <<<"$OUT" && grep -q "${pgp_bin_id:16}" <<<"$OUT" \
    || fail "search by the pgp key finds all three pgp entries" "$OUT"
  check_grep "rekor-cli search --email (the key's user ID)" "${pgp_id:16}" \
    "${rekor[@]}" search --email "$pgp_email"
  check_grep "rekor-cli search --artifact (pgp artifact)" "${pgp_id:16}" \
    "${rekor[@]}" search --artifact "$f/pgp.txt"
  # Tampered artifact. rekor-cli checks a rekord signature itself before sending (with
  # Rekor's own Go code), so the server's answer is checked with curl.
  cp "$f/pgp.txt" "$f/pgp-tampered.txt"
  echo tampered >>"$f/pgp-tampered.txt"
  check_refused "rekor-cli upload rekord pgp of a tampered artifact is refused" "" \
    "${rekor[@]}" upload --artifact "$f/pgp-tampered.txt" --signature "$f/pgp.txt.asc" \
    --public-key "$f/pgp.pub.asc"
  post_entry "server answers 400 to a pgp signature over another artifact" 400 \
    "hash tag doesn't match" \
    "$(rekord_json pgp "$f/pgp.txt.asc" "$f/pgp.pub.asc" "$f/pgp-tampered.txt")" "$url"
  # An EdDSA key (gpg's ed25519): Rekor's library cannot read it, and neither do we.
  local ed_email="e2e-ed25519-$engine@sigstack.example"
  check "gpg --quick-gen-key ed25519" "${gpg_batch[@]}" --quick-gen-key \
    "sigstack e2e ed25519 <$ed_email>" ed25519 sign never
  "${gpg_batch[@]}" --armor --export "$ed_email" >"$f/ed.pub.asc"
  "${gpg_batch[@]}" --local-user "$ed_email" --detach-sign --armor \
    --output "$f/ed.txt.asc" "$f/pgp2.txt" || fail "gpg ed25519 signing (test setup)"
  check_refused "rekor-cli upload with an EdDSA pgp key is refused" "" \
    "${rekor[@]}" upload --artifact "$f/pgp2.txt" --signature "$f/ed.txt.asc" \
    --public-key "$f/ed.pub.asc"
  post_entry "server answers 400 naming algorithm 22 to an EdDSA pgp key" 400 \
    "invalid PGP signature: openpgp: unsupported feature: public key algorithm 22" \
    "$(rekord_json pgp "$f/ed.txt.asc" "$f/ed.pub.asc" "$f/pgp2.txt")" "$url"
  unset GNUPGHOME

  # --- rekor-cli: rekord with minisign (prehashed, minisign's default) -------------------
  check "minisign -G -W" minisign -G -W -p "$f/minisign.pub" -s "$f/minisign.key"
  echo "sigstack e2e minisign artifact $engine $RANDOM$RANDOM" >"$f/ms.txt"
  check "minisign -S" minisign -S -s "$f/minisign.key" -m "$f/ms.txt"
  local ms=(--pki-format minisign --public-key "$f/minisign.pub")
  check_grep "rekor-cli upload rekord minisign" "Created entry at index [0-9]+" \
    "${rekor[@]}" upload --artifact "$f/ms.txt" --signature "$f/ms.txt.minisig" "${ms[@]}"
  counted
  local ms_id
  ms_id="$(grep -oE '[0-9a-f]{80}' <<<"$OUT" | head -n1 || true)"
  [ -n "$ms_id" ] || ms_id="$(printf 'x%.0s' {1..80})"
  check "rekor-cli verify rekord minisign" "${rekor[@]}" verify --artifact "$f/ms.txt" \
    --signature "$f/ms.txt.minisig" "${ms[@]}"
  check_grep "rekor-cli search --public-key --pki-format minisign" "${ms_id:16}" \
    "${rekor[@]}" search "${ms[@]}"
  check_grep "rekor-cli get --uuid (minisign entry)" "${ms_id:16}" "${rekor[@]}" get --uuid "$ms_id"
  check_refused "rekor-cli upload rekord minisign of a tampered artifact is refused" "" \
    "${rekor[@]}" upload --artifact "$f/pgp-tampered.txt" --signature "$f/ms.txt.minisig" "${ms[@]}"
  post_entry "server answers 400 to a minisign signature over another artifact" 400 \
    "failed to verify signature" \
    "$(rekord_json minisign "$f/ms.txt.minisig" "$f/minisign.pub" "$f/pgp-tampered.txt")" "$url"

  check_grep "rekor-cli loginfo (first, stores state)" "Total Tree Size: *$logged\$" \
    "${rekor[@]}" loginfo

  # --- cosign: keyed signing into our log, verification with our log key pinned --------
  # SIGSTORE_REKOR_PUBLIC_KEY replaces the TUF root for the log key (without it cosign
  # goes to the public TUF CDN even for --offline verification and fails here).
  export COSIGN_PASSWORD=""
  export SIGSTORE_REKOR_PUBLIC_KEY="$data/log-public-key.pem"
  local cosign_key=(--key "$f/cosign.key" --tlog-upload=true --rekor-url "$url" --yes)
  local cosign_pub=(--key "$f/cosign.pub")
  check "cosign generate-key-pair" \
    bash -c "cd '$f' && cosign generate-key-pair --output-key-prefix cosign"
  echo "cosign blob $engine $RANDOM$RANDOM" >"$f/blob.txt"
  cp "$f/blob.txt" "$f/tampered.txt"
  echo "tampered" >>"$f/tampered.txt"

  check "cosign sign-blob --tlog-upload --bundle" cosign sign-blob "${cosign_key[@]}" \
    --bundle "$f/blob.bundle.json" --output-signature "$f/blob.sig" "$f/blob.txt"
  counted
  check "cosign verify-blob --bundle (online)" cosign verify-blob "${cosign_pub[@]}" \
    --bundle "$f/blob.bundle.json" --rekor-url "$url" "$f/blob.txt"
  check "cosign verify-blob --bundle --offline" cosign verify-blob "${cosign_pub[@]}" \
    --bundle "$f/blob.bundle.json" --offline=true "$f/blob.txt"
  check "cosign verify-blob --signature (finds the entry in the log)" cosign verify-blob \
    "${cosign_pub[@]}" --signature "$f/blob.sig" --rekor-url "$url" "$f/blob.txt"
  check_refused "cosign verify-blob rejects a tampered artifact" "" cosign verify-blob \
    "${cosign_pub[@]}" --bundle "$f/blob.bundle.json" --offline=true "$f/tampered.txt"
  check_refused "cosign verify-blob rejects a SET from another log key" "" \
    env SIGSTORE_REKOR_PUBLIC_KEY="$f/ec.pub" cosign verify-blob "${cosign_pub[@]}" \
    --bundle "$f/blob.bundle.json" --offline=true "$f/blob.txt"

  # The protobuf bundle: sigstore-go inside cosign checks the inclusion proof and the
  # checkpoint signature too, against a trusted root naming our log key.
  check "cosign trusted-root create" cosign trusted-root create \
    --rekor-key "$data/log-public-key.pem" --rekor-start-time 2020-01-01T00:00:00Z \
    --out "$f/trusted-root.json"
  check "cosign sign-blob --new-bundle-format" cosign sign-blob "${cosign_key[@]}" \
    --new-bundle-format --bundle "$f/blob.sigstore.json" "$f/blob.txt"
  counted
  check "cosign verify-blob --new-bundle-format --trusted-root" cosign verify-blob \
    "${cosign_pub[@]}" --new-bundle-format --bundle "$f/blob.sigstore.json" \
    --trusted-root "$f/trusted-root.json" "$f/blob.txt"
  check_refused "cosign verify-blob --new-bundle-format rejects a tampered artifact" "" \
    cosign verify-blob "${cosign_pub[@]}" --new-bundle-format \
    --bundle "$f/blob.sigstore.json" --trusted-root "$f/trusted-root.json" "$f/tampered.txt"
  # So a pass above means our checkpoint signature was checked: alter the signed size.
  python3 - "$f/blob.sigstore.json" "$f/forged.sigstore.json" <<'PY' || fail "forging a bundle (test setup)"
import json, sys
bundle = json.load(open(sys.argv[1]))
proof = bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
lines = proof["checkpoint"]["envelope"].split("\n")
lines[1] = str(int(lines[1]) + 1)
proof["checkpoint"]["envelope"] = "\n".join(lines)
json.dump(bundle, open(sys.argv[2], "w"))
PY
  check_refused "cosign verify-blob --new-bundle-format rejects an altered checkpoint" "" \
    cosign verify-blob "${cosign_pub[@]}" --new-bundle-format \
    --bundle "$f/forged.sigstore.json" --trusted-root "$f/trusted-root.json" "$f/blob.txt"
  grep -q "checkpoint" <<<"$OUT" || fail "cosign names the checkpoint as the problem" "$OUT"

  printf '{"buildType":"https://example.test/e2e","builder":{"id":"sigstack-e2e"}}\n' \
    >"$f/predicate.json"
  check "cosign attest-blob (dsse)" cosign attest-blob "${cosign_key[@]}" \
    --predicate "$f/predicate.json" --type slsaprovenance --bundle "$f/att.bundle.json" \
    "$f/blob.txt"
  counted
  check "cosign verify-blob-attestation" cosign verify-blob-attestation "${cosign_pub[@]}" \
    --bundle "$f/att.bundle.json" --type slsaprovenance --rekor-url "$url" "$f/blob.txt"
  check "cosign verify-blob-attestation --offline" cosign verify-blob-attestation \
    "${cosign_pub[@]}" --bundle "$f/att.bundle.json" --type slsaprovenance --offline=true \
    "$f/blob.txt"
  check_refused "cosign verify-blob-attestation rejects a tampered artifact" "" \
    cosign verify-blob-attestation "${cosign_pub[@]}" --bundle "$f/att.bundle.json" \
    --type slsaprovenance --offline=true "$f/tampered.txt"
  check "cosign attest-blob --rekor-entry-type intoto" cosign attest-blob "${cosign_key[@]}" \
    --predicate "$f/predicate.json" --type slsaprovenance --rekor-entry-type intoto \
    --bundle "$f/att-intoto.bundle.json" "$f/blob.txt"
  counted
  check "cosign verify-blob-attestation (intoto entry)" cosign verify-blob-attestation \
    "${cosign_pub[@]}" --bundle "$f/att-intoto.bundle.json" --type slsaprovenance \
    --offline=true "$f/blob.txt"

  # --- the log grew: consistency with the stored state, and a proof -------------------
  check_grep "rekor-cli loginfo (second, checks consistency)" "Total Tree Size: *$logged\$" \
    "${rekor[@]}" loginfo
  check_grep "rekor-cli logproof --first-size 2 --last-size $logged" "[0-9a-f]{64}" \
    "${rekor[@]}" logproof --first-size 2 --last-size "$logged"

  # --- a second process on the same database: a standby until the writer goes away ----
  local port2 url2
  port2="$(free_port)"
  url2="http://127.0.0.1:$port2"
  start_server "$dir/serve2.log" --data-dir "$data" --listen "127.0.0.1:$port2" "${db_args[@]}"
  standby_pid="$STARTED"
  if wait_ready "$url2" "$standby_pid" /healthz; then ok "second serve on the same log starts"; else
    fail "second serve on the same log starts" "$(cat "$dir/serve2.log")"
  fi
  check_grep "second serve is a standby (/readyz 503)" "^503$" \
    curl -s -o /dev/null -w '%{http_code}' "$url2/readyz"
  check_grep "rekor-cli get --uuid from the standby" "$uuid1" \
    rekor-cli --rekor_server "$url2" get --uuid "$uuid1"
  echo "standby artifact $engine $RANDOM$RANDOM" >"$f/standby.txt"
  openssl dgst -sha256 -sign "$f/ec.key" -out "$f/standby.sig" "$f/standby.txt"
  local standby_upload=(upload --type hashedrekord --artifact "$f/standby.txt"
    --artifact-hash "$(sha256sum "$f/standby.txt" | cut -d' ' -f1)"
    --signature "$f/standby.sig" "${key_args[@]}")
  # rekor-cli's retrying client reports only "giving up after 1 attempt(s)": see the status
  # with curl.
  check_refused "rekor-cli upload to the standby is refused" "" \
    rekor-cli --rekor_server "$url2" --retry 0 "${standby_upload[@]}"
  check_grep "the standby answers writes 503 with Retry-After" "^HTTP/1.1 503|^retry-after" \
    curl -s -i -H 'Content-Type: application/json' --data "$(hashedrekord_json \
    "$f/standby.sig" "$f/ec.pub" "$(sha256sum "$f/standby.txt" | cut -d' ' -f1)")" \
    "$url2/api/v1/log/entries"
  if ! grep -qi '^retry-after' <<<"$OUT" || ! grep -q '^HTTP/1.1 503' <<<"$OUT"; then
    fail "the standby's 503 carries Retry-After" "$OUT"
  fi

  stop_server "$server_pid"
  server_pid=""
  if [ "$STOPPED" -eq 0 ]; then ok "serve exits cleanly on SIGTERM"; else
    fail "serve exits cleanly on SIGTERM" "exit $STOPPED: $(tail -n 5 "$dir/serve.log")"
  fi
  if wait_ready "$url2" "$standby_pid"; then ok "the standby takes over as writer"; else
    fail "the standby takes over as writer" "$(tail -n 5 "$dir/serve2.log")"
  fi
  check_grep "rekor-cli upload to the new writer" "Created entry at index $logged" \
    rekor-cli --rekor_server "$url2" "${standby_upload[@]}"
  counted
  check_grep "rekor-cli loginfo on the new writer (consistency)" \
    "Total Tree Size: *$logged\$" rekor-cli --rekor_server "$url2" loginfo
  stop_server "$standby_pid"
  standby_pid=""
  if [ "$STOPPED" -eq 0 ]; then ok "the new writer exits cleanly on SIGTERM"; else
    fail "the new writer exits cleanly on SIGTERM" "exit $STOPPED: $(tail -n 5 "$dir/serve2.log")"
  fi

  # --- the stored log ------------------------------------------------------------------
  check_grep "sigstack log fsck" "^clean$" "$SIGSTACK" log fsck --data-dir "$data" "${db_args[@]}"
  # Rewrite one logged body behind the log's back, as an intruder with database access
  # would: fsck must notice.
  local tamper_sql="UPDATE entries SET body = CAST(body || x'20' AS BLOB) WHERE idx = 0"
  if [ "$engine" = postgres ]; then
    psql "$url_pg" -q -v ON_ERROR_STOP=1 -c "UPDATE entries SET body = body || '\\x20'::bytea WHERE idx = 0" \
      || fail "tampering with the database (test setup)"
  else
    python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()' \
      "$data/sigstack.db" "$tamper_sql" || fail "tampering with the database (test setup)"
  fi
  check_refused "sigstack log fsck detects a rewritten entry" "" \
    "$SIGSTACK" log fsck --data-dir "$data" "${db_args[@]}"
  grep -q "leaf hash" <<<"$OUT" || fail "fsck names the rewritten entry" "$OUT"
  unset COSIGN_PASSWORD SIGSTORE_REKOR_PUBLIC_KEY
  PREFIX=""
}

echo "cosign: $(cosign version 2>&1 | grep -i '^gitversion' | awk '{print $2}')," \
  "rekor-cli: $(rekor-cli version 2>&1 | grep -i '^gitversion' | awk '{print $2}')," \
  "$(gpg --version | head -n1), $(minisign -v)"
for engine in $engines; do
  suite "$engine"
done

finish
