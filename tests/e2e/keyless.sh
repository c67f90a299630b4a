#!/usr/bin/env bash
# End-to-end: keyless signing against the whole sigstack stack (transparency log, CA, CT log)
# with the real, unmodified clients — cosign 2.5, sigstore-python 4 and rekor-cli — once on
# SQLite and once on PostgreSQL, doing what a user would do with no identity provider of
# their own: `sigstack up --dev-oidc` (PostgreSQL: init, migrate, serve --dev-oidc),
# `sigstack trust-root`, `sigstack dev-token`, then sign and verify, and check that a wrong
# identity, a wrong issuer, a tampered artifact and a forged token are all refused.
#
# Run:   bash tests/e2e/keyless.sh        (tests/all.sh runs it after `cargo test`)
# Needs: cosign, rekor-cli, python3 with sigstore (tests/install-clients.sh), curl, and for
#        the PostgreSQL half a server at 127.0.0.1:5432 with trust auth for user `postgres`
#        (SIGSTACK_TEST_POSTGRES_URL picks another server; SIGSTACK_E2E_PG_ADMIN_URL the exact
#        database to run CREATE DATABASE in). SIGSTACK_E2E_ENGINES="sqlite" runs one engine;
#        KEEP=1 keeps the work directory; SIGSTACK_BIN=PATH uses that binary instead of
#        building the release one.
# Output: one `ok NAME` / `FAIL NAME` line per check, then `e2e: N passed, M failed`; the
#        exit status is non-zero if anything failed. Every client call runs under
#        `timeout 60`. No `--insecure-*` flag is used anywhere. Client findings:
#        tests/e2e/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

engines="${SIGSTACK_E2E_ENGINES:-sqlite postgres}"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
require_prerequisites cosign rekor-cli curl python3 timeout sha256sum sigstore-python sigstore-js psql-for-postgres
use_release_binary

WORK="$(mktemp -d /tmp/sigstack-keyless.XXXXXX)"
pg_server="${SIGSTACK_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
PG_ADMIN_URL="${SIGSTACK_E2E_PG_ADMIN_URL:-${pg_server%/*}/postgres}"
server_pid=""
pg_databases=()

cleanup() {
  kill_children "$server_pid"
  drop_databases "$PG_ADMIN_URL" "${pg_databases[@]}"
  remove_work
}
trap cleanup EXIT


# One engine's whole run. $1 = sqlite | postgres.
suite() {
  local engine="$1"
  PREFIX="$engine/"
  local dir="$WORK/$engine"
  mkdir -p "$dir/home" "$dir/files"
  local data="$dir/data" f="$dir/files" trust="$dir/trust"
  export HOME="$dir/home" # cosign's TUF cache, rekor-cli's state, sigstore-python's cache
  local port
  port="$(free_port)"
  local url="http://127.0.0.1:$port"
  local issuer="$url/dev-oidc"
  local email="e2e-$engine@sigstack.test"

  # --- bring the stack up --------------------------------------------------------------
  if [ "$engine" = sqlite ]; then
    "$SIGSTACK" up --data-dir "$data" --dev-oidc --listen "127.0.0.1:$port" \
      --hostname keyless-e2e.test >"$dir/serve.log" 2>&1 &
    server_pid=$!
  else
    local db="sigstack_keyless_$$_$RANDOM"
    pg_databases+=("$db")
    local url_pg="${PG_ADMIN_URL%/*}/$db"
    check "create database" psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\""
    check "sigstack init --dev-oidc" "$SIGSTACK" init --data-dir "$data" --dev-oidc \
      --listen "127.0.0.1:$port" --hostname keyless-e2e.test
    check "sigstack migrate" "$SIGSTACK" migrate --database-url "$url_pg"
    "$SIGSTACK" serve --data-dir "$data" --dev-oidc --database-url "$url_pg" \
      >"$dir/serve.log" 2>&1 &
    server_pid=$!
  fi
  if wait_ready "$url" "$server_pid"; then ok "the stack is up and the writer (/readyz 200)"; else
    fail "the stack is up and the writer (/readyz 200)" "$(cat "$dir/serve.log")"
    stop_server "$server_pid"
    server_pid=""
    return
  fi
  if grep -q "NOT FOR PRODUCTION" "$dir/serve.log"; then ok "--dev-oidc is logged as not for production"; else
    fail "--dev-oidc is logged as not for production" "$(cat "$dir/serve.log")"
  fi
  check_grep "the CA lists the development issuer" "\"issuerUrl\":\"$issuer\"" \
    curl -fsS "$url/api/v2/configuration"
  check_grep "the development issuer's discovery document" "\"issuer\":\"$issuer\"" \
    curl -fsS "$issuer/.well-known/openid-configuration"
  check_grep "the CT log answers get-sth" '"tree_size":0' curl -fsS "$url/ct/v1/get-sth"

  # --- trust material ------------------------------------------------------------------
  check "sigstack trust-root" "$SIGSTACK" trust-root --data-dir "$data" --out "$trust" --url "$url"
  for file in trusted_root.json signing_config.json client_trust_config.json ca-chain.pem \
    ctfe.pub rekor.pub cosign.env; do
    [ -s "$trust/$file" ] || fail "trust-root wrote $file"
  done
  check_grep "trusted_root.json has the exact media type" \
    '"mediaType": "application/vnd.dev.sigstore.trustedroot\+json;version=0.1"' cat "$trust/trusted_root.json"
  if [ "$engine" = sqlite ]; then
    # `up` wrote the same material into DIR/trust for this listener.
    check "up wrote DIR/trust with the same trusted root" \
      cmp "$data/trust/trusted_root.json" "$trust/trusted_root.json"
  fi
  set -a
  # shellcheck disable=SC1091
  . "$trust/cosign.env"
  set +a

  # --- tokens --------------------------------------------------------------------------
  local token
  token="$(timeout 60 "$SIGSTACK" dev-token --data-dir "$data" --email "$email" 2>/dev/null)" || token=""
  if [ "$(tr -cd . <<<"$token" | wc -c)" -eq 2 ]; then ok "sigstack dev-token prints a JWT"; else
    fail "sigstack dev-token prints a JWT" "$token"
  fi

  echo "keyless artifact $engine $RANDOM$RANDOM" >"$f/artifact.txt"
  echo "something else" >"$f/tampered.txt"
  local sha
  sha="$(sha256sum "$f/artifact.txt" | cut -d' ' -f1)"
  local sign=(cosign sign-blob --identity-token "$token" --fulcio-url "$url" --rekor-url "$url" --yes)
  local verify=(cosign verify-blob --rekor-url "$url")
  local who=(--certificate-identity "$email" --certificate-oidc-issuer "$issuer")

  # --- cosign 2.5, classic bundle, the SIGSTORE_* variables of cosign.env ----------------
  check_grep "cosign sign-blob keyless (SCT verified, no insecure flag)" "Successfully verified SCT" \
    "${sign[@]}" --bundle "$f/classic.bundle" "$f/artifact.txt"
  check_grep "cosign verify-blob keyless" "Verified OK" \
    "${verify[@]}" --bundle "$f/classic.bundle" "${who[@]}" "$f/artifact.txt"
  check_grep "cosign verify-blob --offline" "Verified OK" \
    "${verify[@]}" --offline --bundle "$f/classic.bundle" "${who[@]}" "$f/artifact.txt"
  check_grep "cosign verify-blob with identity and issuer regexps" "Verified OK" \
    "${verify[@]}" --bundle "$f/classic.bundle" --certificate-identity-regexp '^e2e-.*@sigstack\.test$' \
    --certificate-oidc-issuer-regexp '/dev-oidc$' "$f/artifact.txt"
  check_refused "cosign verify-blob refuses a wrong identity" "none of the expected identities" \
    "${verify[@]}" --bundle "$f/classic.bundle" --certificate-identity "someone@sigstack.test" \
    --certificate-oidc-issuer "$issuer" "$f/artifact.txt"
  check_refused "cosign verify-blob refuses a wrong issuer" "none of the expected identities" \
    "${verify[@]}" --bundle "$f/classic.bundle" --certificate-identity "$email" \
    --certificate-oidc-issuer "https://accounts.google.com" "$f/artifact.txt"
  check_refused "cosign verify-blob refuses a tampered artifact" "." \
    "${verify[@]}" --bundle "$f/classic.bundle" "${who[@]}" "$f/tampered.txt"
  # Without our CA chain cosign has nothing to chain the certificate to (it would go to the
  # public TUF root, which it cannot reach or which does not contain our CA).
  check_refused "cosign verify-blob refuses a CA it does not trust" "." \
    env SIGSTORE_ROOT_FILE="$trust/ctfe.pub" "${verify[@]}" --bundle "$f/classic.bundle" \
    "${who[@]}" "$f/artifact.txt"

  # --- cosign with nothing but the sourced cosign.env: no URL flags ----------------------
  # cosign takes COSIGN_FULCIO_URL and COSIGN_REKOR_URL as its flags' defaults; were they missing
  # it would go to the public instance (unreachable here, so the signing would fail).
  check_grep "cosign sign-blob with only cosign.env (no --fulcio-url/--rekor-url)" \
    "Successfully verified SCT" \
    cosign sign-blob --identity-token "$token" --yes --bundle "$f/env-only.bundle" "$f/artifact.txt"
  check_grep "… its bundle verifies offline against this log's key" "Verified OK" \
    cosign verify-blob --offline --bundle "$f/env-only.bundle" "${who[@]}" "$f/artifact.txt"

  # --- cosign 2.5, protobuf bundle, the trusted root -------------------------------------
  check "cosign sign-blob --new-bundle-format" \
    "${sign[@]}" --new-bundle-format --bundle "$f/new.bundle" "$f/artifact.txt"
  local tr=(env -u SIGSTORE_ROOT_FILE -u SIGSTORE_REKOR_PUBLIC_KEY -u SIGSTORE_CT_LOG_PUBLIC_KEY_FILE
    cosign verify-blob --new-bundle-format --trusted-root "$trust/trusted_root.json")
  check_grep "cosign verify-blob --new-bundle-format --trusted-root" "Verified OK" \
    "${tr[@]}" --bundle "$f/new.bundle" "${who[@]}" "$f/artifact.txt"
  check_refused "… refuses a wrong identity" "no matching CertificateIdentity" \
    "${tr[@]}" --bundle "$f/new.bundle" --certificate-identity "someone@sigstack.test" \
    --certificate-oidc-issuer "$issuer" "$f/artifact.txt"
  check_refused "… refuses a wrong issuer" "no matching CertificateIdentity" \
    "${tr[@]}" --bundle "$f/new.bundle" --certificate-identity "$email" \
    --certificate-oidc-issuer "https://token.actions.githubusercontent.com" "$f/artifact.txt"
  check_refused "… refuses a tampered artifact" "." \
    "${tr[@]}" --bundle "$f/new.bundle" "${who[@]}" "$f/tampered.txt"

  # --- the CA refuses tokens it must refuse -----------------------------------------------
  # Same issuer URL, different key: a token minted by another data directory's dev issuer.
  "$SIGSTACK" init --data-dir "$dir/stranger" --dev-oidc --listen "127.0.0.1:$port" \
    --hostname stranger.test >/dev/null 2>&1 || true
  local forged
  forged="$(timeout 60 "$SIGSTACK" dev-token --data-dir "$dir/stranger" --email "$email" 2>/dev/null)" || forged=""
  check_refused "the CA refuses a token signed by another key" "." \
    cosign sign-blob --identity-token "$forged" --fulcio-url "$url" --rekor-url "$url" --yes \
    --bundle "$f/forged.bundle" "$f/artifact.txt"
  local status
  status="$(curl -s -o "$f/forged.json" -w '%{http_code}' -X POST "$url/api/v2/signingCert" \
    -H 'Content-Type: application/json' -H "Authorization: Bearer $forged" \
    -d '{"publicKeyRequest":{"publicKey":{"algorithm":"ECDSA","content":"x"},"proofOfPossession":"eA=="}}' || true)"
  if [[ "$status" == 4* ]] && grep -q "identity token" "$f/forged.json"; then
    ok "…and answers it with a 4xx about the token ($status)"
  else
    fail "…and answers it with a 4xx about the token" "status $status: $(cat "$f/forged.json" 2>/dev/null)"
  fi

  # --- sigstore-python 4 with the client trust config -----------------------------------
  local py=(python3 -m sigstore --trust-config "$trust/client_trust_config.json")
  local pyw=(--cert-identity "$email" --cert-oidc-issuer "$issuer")
  echo "python artifact $engine $RANDOM$RANDOM" >"$f/py.txt"
  check "sigstore-python sign" \
    "${py[@]}" sign --identity-token "$token" --bundle "$f/py.sigstore.json" "$f/py.txt"
  check_grep "sigstore-python verify identity" "OK: " \
    "${py[@]}" verify identity --bundle "$f/py.sigstore.json" "${pyw[@]}" "$f/py.txt"
  check_grep "sigstore-python verify identity --offline" "OK: " \
    "${py[@]}" verify identity --offline --bundle "$f/py.sigstore.json" "${pyw[@]}" "$f/py.txt"
  check_refused "sigstore-python refuses a wrong identity" "SANs do not match" \
    "${py[@]}" verify identity --bundle "$f/py.sigstore.json" --cert-identity "someone@sigstack.test" \
    --cert-oidc-issuer "$issuer" "$f/py.txt"
  check_refused "sigstore-python refuses a wrong issuer" "FAIL" \
    "${py[@]}" verify identity --bundle "$f/py.sigstore.json" --cert-identity "$email" \
    --cert-oidc-issuer "https://accounts.google.com" "$f/py.txt"
  check_refused "sigstore-python refuses a tampered artifact" "digest mismatch|FAIL" \
    "${py[@]}" verify identity --bundle "$f/py.sigstore.json" "${pyw[@]}" "$f/tampered.txt"
  # The two clients' bundles verify in the other client.
  check_grep "sigstore-python verifies cosign's protobuf bundle" "OK: " \
    "${py[@]}" verify identity --bundle "$f/new.bundle" "${pyw[@]}" "$f/artifact.txt"
  check_grep "cosign verifies sigstore-python's bundle" "Verified OK" \
    "${tr[@]}" --bundle "$f/py.sigstore.json" "${who[@]}" "$f/py.txt"

  # --- sigstore-js (npm @sigstore/cli): signs with our CA and log, cosign verifies -------
  # With CI set it takes the token from SIGSTORE_ID_TOKEN instead of a browser login; it
  # logs an intoto 0.0.2 entry and writes a v0.3 protobuf bundle.
  echo "js artifact $engine $RANDOM$RANDOM" >"$f/js.txt"
  echo "js tampered $engine" >"$f/js-tampered.txt"
  printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"js.txt","digest":{"sha256":"%s"}}],"predicateType":"https://sigstack.test/e2e","predicate":{}}' \
    "$(sha256sum "$f/js.txt" | cut -d' ' -f1)" >"$f/js.statement.json"
  check "sigstore-js attest (keyless)" env CI=true SIGSTORE_ID_TOKEN="$token" \
    "$SIGSTORE_JS" attest "$f/js.statement.json" --fulcio-url "$url" --rekor-url "$url" \
    --tlog-upload -o "$f/js.sigstore.json"
  check_grep "…its bundle holds our log's intoto 0.0.2 entry" '"kind":"intoto","version":"0.0.2"' \
    cat "$f/js.sigstore.json"
  local tra=(env -u SIGSTORE_ROOT_FILE -u SIGSTORE_REKOR_PUBLIC_KEY -u SIGSTORE_CT_LOG_PUBLIC_KEY_FILE
    cosign verify-blob-attestation --new-bundle-format --trusted-root "$trust/trusted_root.json"
    --type https://sigstack.test/e2e --bundle "$f/js.sigstore.json")
  check_grep "cosign verifies sigstore-js's bundle" "Verified OK" "${tra[@]}" "${who[@]}" "$f/js.txt"
  check_refused "…and refuses it for another identity" "no matching CertificateIdentity" \
    "${tra[@]}" --certificate-identity "someone@sigstack.test" --certificate-oidc-issuer "$issuer" \
    "$f/js.txt"
  check_refused "…and for an artifact it does not name" "digest" \
    "${tra[@]}" "${who[@]}" "$f/js-tampered.txt"

  # --- the logs --------------------------------------------------------------------------
  check_grep "rekor-cli search --sha finds the keyless entries" "[0-9a-f]{64}" \
    rekor-cli --rekor_server "$url" search --sha "$sha"
  local found
  found="$(grep -cE '^[0-9a-f]{64,80}$' <<<"$OUT" || true)"
  if [ "$found" -ge 2 ]; then ok "…both cosign entries ($found)"; else fail "…both cosign entries" "$OUT"; fi
  # Certificates issued: classic, new-bundle, python = 3 precertificates in the CT log.
  local ct_size
  ct_size="$(curl -fsS "$url/ct/v1/get-sth" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])' || echo 0)"
  if [ "$ct_size" -ge 3 ]; then ok "every certificate's precertificate is in the CT log ($ct_size)"; else
    fail "every certificate's precertificate is in the CT log" "tree_size $ct_size"
  fi
  check_grep "sigstack log fsck (the Rekor log)" "^clean$" \
    "$SIGSTACK" log fsck --data-dir "$data" ${url_pg:+--database-url "$url_pg"}

  stop_server "$server_pid"
  server_pid=""
  if [ "$STOPPED" -eq 0 ]; then ok "the stack exits cleanly on SIGTERM"; else
    fail "the stack exits cleanly on SIGTERM" "exit $STOPPED: $(tail -n 5 "$dir/serve.log")"
  fi

  # --- init again: nothing replaced ----------------------------------------------------
  local before after
  before="$(cd "$data" && sha256sum ./*.pem ./*.json sigstack.toml)"
  check_grep "sigstack init again keeps every key" "kept .*ca-root-key.pem" \
    "$SIGSTACK" init --data-dir "$data" --dev-oidc
  after="$(cd "$data" && sha256sum ./*.pem ./*.json sigstack.toml)"
  if [ "$before" = "$after" ]; then ok "…byte for byte"; else fail "…byte for byte" "$(diff <(echo "$before") <(echo "$after"))"; fi
  unset SIGSTORE_ROOT_FILE SIGSTORE_CT_LOG_PUBLIC_KEY_FILE SIGSTORE_REKOR_PUBLIC_KEY SIGSTORE_REKOR_API_URL \
    COSIGN_REKOR_URL COSIGN_FULCIO_URL
  PREFIX=""
}

echo "cosign: $(cosign version 2>&1 | grep -i '^gitversion' | awk '{print $2}')," \
  "sigstore-python: $(python3 -m sigstore --version 2>&1 | awk '{print $2}')," \
  "rekor-cli: $(rekor-cli version 2>&1 | grep -i '^gitversion' | awk '{print $2}')"
for engine in $engines; do
  suite "$engine"
done

finish
