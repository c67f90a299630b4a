#!/usr/bin/env bash
# End-to-end: container images. A local OCI registry (Debian's `docker-registry`, on a free
# loopback port, plain HTTP, no auth, storage in a temp dir), an image the test builds itself
# as an OCI layout (no Docker) and pushes with `skopeo`, and cosign 2.5 keyless against
# `sigstack up --dev-oidc` (SQLite) and `sigstack serve --dev-oidc` (PostgreSQL): `sign`,
# `verify` online and `--offline`, `attest --type spdxjson` / `verify-attestation`, and
# rejections of a wrong identity, a wrong issuer, a wrong branch, a re-pushed tag, a digest
# that was never signed and a signature copied onto another image; then rekor-cli finds,
# gets and verifies the entries.
#
# Run:   bash tests/e2e/images.sh        (tests/all.sh runs it after `cargo test`)
# Needs: cosign, rekor-cli, docker-registry, skopeo, jq, curl, python3, tar, gzip, sha256sum
#        (tests/install-clients.sh), and for the PostgreSQL half a server at 127.0.0.1:5432
#        with trust auth for user `postgres` (SIGSTACK_TEST_POSTGRES_URL picks another server;
#        SIGSTACK_E2E_PG_ADMIN_URL the exact database to run CREATE DATABASE in).
#        SIGSTACK_E2E_ENGINES="sqlite" runs one engine; KEEP=1 keeps the work directory;
#        SIGSTACK_BIN=PATH uses that binary instead of building the release one.
# Output: one `ok NAME` / `FAIL NAME` line per check, then `e2e: N passed, M failed`; the
#        exit status is non-zero if anything failed. Every client call runs under
#        `timeout 60`. No `--insecure-*` flag is given to cosign (it talks plain HTTP to a
#        127.0.0.1 registry by default). Client findings: tests/e2e/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

engines="${SIGSTACK_E2E_ENGINES:-sqlite postgres}"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
require_prerequisites cosign rekor-cli docker-registry skopeo jq curl python3 tar gzip timeout sha256sum base64 psql-for-postgres
use_release_binary

WORK="$(mktemp -d /tmp/sigstack-images.XXXXXX)"
pg_server="${SIGSTACK_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
PG_ADMIN_URL="${SIGSTACK_E2E_PG_ADMIN_URL:-${pg_server%/*}/postgres}"
server_pid=""
registry_pid=""
pg_databases=()

cleanup() {
  kill_children "$server_pid" "$registry_pid"
  drop_databases "$PG_ADMIN_URL" "${pg_databases[@]}"
  remove_work
}
trap cleanup EXIT


sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# mk_oci DIR TAG TEXT: writes a one-layer OCI image layout (linux/amd64, one small file) to
# DIR with TAG as its ref name; prints the manifest digest (sha256:…).
mk_oci() {
  local dir="$1" tag="$2" text="$3"
  local root="$dir.rootfs"
  mkdir -p "$dir/blobs/sha256" "$root/etc"
  printf '%s\n' "$text" >"$root/etc/demo.txt"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$root" -cf "$dir/layer.tar" etc
  local diff_id
  diff_id="$(sha_of "$dir/layer.tar")"
  gzip -n -9 -c "$dir/layer.tar" >"$dir/layer.tar.gz"
  local layer layer_size
  layer="$(sha_of "$dir/layer.tar.gz")"
  layer_size="$(stat -c %s "$dir/layer.tar.gz")"
  mv "$dir/layer.tar.gz" "$dir/blobs/sha256/$layer"
  rm -rf "$dir/layer.tar" "$root"
  jq -cn --arg d "sha256:$diff_id" '{architecture:"amd64", os:"linux",
      config:{Cmd:["/bin/true"]}, rootfs:{type:"layers", diff_ids:[$d]},
      history:[{created_by:"sigstack tests/e2e/images.sh"}]}' >"$dir/config.json"
  local config config_size
  config="$(sha_of "$dir/config.json")"
  config_size="$(stat -c %s "$dir/config.json")"
  mv "$dir/config.json" "$dir/blobs/sha256/$config"
  jq -cn --arg c "sha256:$config" --argjson cs "$config_size" \
    --arg l "sha256:$layer" --argjson ls "$layer_size" '{schemaVersion:2,
      mediaType:"application/vnd.oci.image.manifest.v1+json",
      config:{mediaType:"application/vnd.oci.image.config.v1+json", digest:$c, size:$cs},
      layers:[{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip", digest:$l, size:$ls}]}' \
    >"$dir/manifest.json"
  local manifest manifest_size
  manifest="$(sha_of "$dir/manifest.json")"
  manifest_size="$(stat -c %s "$dir/manifest.json")"
  mv "$dir/manifest.json" "$dir/blobs/sha256/$manifest"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  jq -cn --arg m "sha256:$manifest" --argjson ms "$manifest_size" --arg t "$tag" '{schemaVersion:2,
      mediaType:"application/vnd.oci.image.index.v1+json",
      manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json", digest:$m, size:$ms,
        annotations:{"org.opencontainers.image.ref.name":$t}}]}' >"$dir/index.json"
  echo "sha256:$manifest"
}

# mk_spdx FILE NAME: a small SPDX 2.3 JSON document describing one package.
mk_spdx() {
  jq -n --arg name "$2" --arg ns "https://sigstack.test/spdx/$2-$RANDOM$RANDOM" \
    --arg created "$(date -u +%Y-%m-%dT%H:%M:%SZ)" '{
      spdxVersion:"SPDX-2.3", dataLicense:"CC0-1.0", SPDXID:"SPDXRef-DOCUMENT",
      name:$name, documentNamespace:$ns,
      creationInfo:{created:$created, creators:["Tool: sigstack-e2e-images"]},
      packages:[{name:$name, SPDXID:"SPDXRef-Package-demo", versionInfo:"1.0.0",
        downloadLocation:"NOASSERTION", filesAnalyzed:false, licenseConcluded:"NOASSERTION",
        licenseDeclared:"Apache-2.0", copyrightText:"NOASSERTION"}],
      relationships:[{spdxElementId:"SPDXRef-DOCUMENT", relationshipType:"DESCRIBES",
        relatedSpdxElement:"SPDXRef-Package-demo"}]}' >"$1"
}

# --- the registry: once for both engines -------------------------------------------------
mkdir -p "$WORK/registry" "$WORK/home" "$WORK/docker" "$WORK/containers"
# No user configuration leaks in: cosign's TUF cache, rekor-cli's state and skopeo's
# containers config all live under the throw-away HOME; cosign/go-containerregistry read
# registry credentials from DOCKER_CONFIG (empty: anonymous).
export HOME="$WORK/home" DOCKER_CONFIG="$WORK/docker" XDG_RUNTIME_DIR="$WORK/home"
export XDG_CONFIG_HOME="$WORK/home/.config"
echo '{}' >"$DOCKER_CONFIG/config.json"
# docker-registry takes every REGISTRY_* variable as a configuration override (so e.g.
# REGISTRY_AUTH_FILE, which skopeo reads, breaks its config): none may reach it.
for var in $(compgen -e | grep '^REGISTRY_' || true); do unset "$var"; done
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$WORK/containers/policy.json"
SKOPEO=(skopeo --policy "$WORK/containers/policy.json")

reg_port="$(free_port)"
REG="127.0.0.1:$reg_port"
cat >"$WORK/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/registry/data
  delete:
    enabled: true
http:
  addr: $REG
  secret: sigstack-e2e-not-a-secret
EOF
docker-registry serve "$WORK/registry/config.yml" >"$WORK/registry/registry.log" 2>&1 &
registry_pid=$!
reg_up=0
for _ in $(seq 1 100); do
  if curl -fsS -o /dev/null "http://$REG/v2/" 2>/dev/null; then reg_up=1; break; fi
  kill -0 "$registry_pid" 2>/dev/null || break
  sleep 0.1
done
if [ "$reg_up" = 1 ]; then ok "docker-registry serves /v2/ on $REG (plain HTTP, no auth)"; else
  fail "docker-registry serves /v2/ on $REG" "$(cat "$WORK/registry/registry.log")"
  echo "e2e: $passed passed, $failed failed"
  exit 1
fi

# One suite per engine. $1 = sqlite | postgres.
suite() {
  local engine="$1"
  PREFIX="$engine/"
  local dir="$WORK/$engine"
  mkdir -p "$dir/files"
  local data="$dir/data" f="$dir/files"
  local port
  port="$(free_port)"
  local url="http://127.0.0.1:$port"
  local issuer="$url/dev-oidc"
  local email="ci+refs-heads-main@sigstack.test"
  local repo="$REG/demo-$engine"

  # --- images: built as OCI layouts, pushed with skopeo -----------------------------------
  local digest other feature
  digest="$(mk_oci "$f/oci-main" v1 "sigstack e2e $engine main $RANDOM$RANDOM")"
  other="$(mk_oci "$f/oci-other" v1 "sigstack e2e $engine other $RANDOM$RANDOM")"
  feature="$(mk_oci "$f/oci-feature" v1 "sigstack e2e $engine feature $RANDOM$RANDOM")"
  check "skopeo copy oci:DIR:v1 docker://$repo:v1" \
    "${SKOPEO[@]}" copy --dest-tls-verify=false "oci:$f/oci-main:v1" "docker://$repo:v1"
  local pushed
  pushed="$(timeout 60 "${SKOPEO[@]}" inspect --tls-verify=false --format '{{.Digest}}' "docker://$repo:v1" 2>&1 || true)"
  if [ "$pushed" = "$digest" ]; then ok "the registry holds the layout's manifest digest"; else
    fail "the registry holds the layout's manifest digest" "layout $digest, registry $pushed"
  fi
  check "skopeo copy the feature-branch image" \
    "${SKOPEO[@]}" copy --dest-tls-verify=false "oci:$f/oci-feature:v1" "docker://$repo:feature"
  local image="$repo@$digest"

  # --- bring the stack up --------------------------------------------------------------
  local trust url_pg=""
  if [ "$engine" = sqlite ]; then
    "$SIGSTACK" up --data-dir "$data" --dev-oidc --listen "127.0.0.1:$port" \
      --hostname images-e2e.test >"$dir/serve.log" 2>&1 &
    server_pid=$!
    trust="$data/trust"
  else
    local db="sigstack_images_$$_$RANDOM"
    pg_databases+=("$db")
    url_pg="${PG_ADMIN_URL%/*}/$db"
    check "create database" psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\""
    check "sigstack init --dev-oidc" "$SIGSTACK" init --data-dir "$data" --dev-oidc \
      --listen "127.0.0.1:$port" --hostname images-e2e.test
    check "sigstack migrate" "$SIGSTACK" migrate --database-url "$url_pg"
    "$SIGSTACK" serve --data-dir "$data" --dev-oidc --database-url "$url_pg" \
      >"$dir/serve.log" 2>&1 &
    server_pid=$!
    trust="$dir/trust"
  fi
  if wait_ready "$url" "$server_pid"; then ok "the stack is up and the writer (/readyz 200)"; else
    fail "the stack is up and the writer (/readyz 200)" "$(cat "$dir/serve.log")"
    stop_server "$server_pid"
    server_pid=""
    return
  fi
  if [ "$engine" = postgres ]; then
    check "sigstack trust-root" "$SIGSTACK" trust-root --data-dir "$data" --out "$trust" --url "$url"
  fi
  if [ -s "$trust/cosign.env" ]; then ok "trust/cosign.env is there"; else fail "trust/cosign.env is there"; fi
  set -a
  # shellcheck disable=SC1091
  . "$trust/cosign.env"
  set +a

  local token token_feature
  token="$(timeout 60 "$SIGSTACK" dev-token --data-dir "$data" --email "$email" 2>/dev/null)" || token=""
  token_feature="$(timeout 60 "$SIGSTACK" dev-token --data-dir "$data" \
    --email "ci+refs-heads-feature@sigstack.test" 2>/dev/null)" || token_feature=""
  if [ "$(tr -cd . <<<"$token" | wc -c)" -eq 2 ] && [ "$(tr -cd . <<<"$token_feature" | wc -c)" -eq 2 ]; then
    ok "sigstack dev-token prints JWTs"
  else
    fail "sigstack dev-token prints JWTs" "$token"
  fi

  local keyless=(--fulcio-url "$url" --rekor-url "$url" --yes)
  local who=(--certificate-identity "$email" --certificate-oidc-issuer "$issuer")
  local main_only=(--certificate-identity-regexp '^ci\+refs-heads-main@sigstack\.test$'
    --certificate-oidc-issuer "$issuer")

  # --- cosign sign / verify ----------------------------------------------------------------
  check_grep "cosign sign keyless (SCT verified, tlog entry, no insecure flag)" \
    "tlog entry created with index" \
    cosign sign --identity-token "$token" "${keyless[@]}" "$image"
  if grep -q "Successfully verified SCT" <<<"$OUT"; then ok "…the SCT was verified"; else
    fail "…the SCT was verified" "$OUT"
  fi
  check "cosign sign the feature-branch image" \
    cosign sign --identity-token "$token_feature" "${keyless[@]}" "$repo@$feature"

  check_grep "cosign verify" "\"docker-manifest-digest\":\"$digest\"" \
    cosign verify --rekor-url "$url" "${who[@]}" "$image"
  if grep -q "The code-signing certificate was verified using trusted certificate authority" <<<"$OUT" &&
    grep -q "Existence of the claims in the transparency log was verified" <<<"$OUT"; then
    ok "…certificate chain and transparency log checked"
  else
    fail "…certificate chain and transparency log checked" "$OUT"
  fi
  # The signature carries its Rekor bundle (SET), so verification needs the registry and the
  # pinned keys only: an unreachable --rekor-url changes nothing, even without --offline.
  check_grep "cosign verify needs no Rekor round trip (unreachable --rekor-url)" \
    "\"docker-manifest-digest\":\"$digest\"" \
    cosign verify --rekor-url "http://127.0.0.1:9" "${who[@]}" "$image"
  check_grep "cosign verify by tag" "\"docker-manifest-digest\":\"$digest\"" \
    cosign verify --rekor-url "$url" "${who[@]}" "$repo:v1"
  check_grep "cosign verify --offline (SET from the signature's bundle annotation)" \
    "\"docker-manifest-digest\":\"$digest\"" \
    cosign verify --offline "${who[@]}" "$image"
  check_grep "cosign verify, main-branch identity regexp" "\"docker-manifest-digest\":\"$digest\"" \
    cosign verify --rekor-url "$url" "${main_only[@]}" "$image"
  check_refused "cosign verify refuses a wrong identity" "none of the expected identities" \
    cosign verify --rekor-url "$url" --certificate-identity "someone@sigstack.test" \
    --certificate-oidc-issuer "$issuer" "$image"
  check_refused "cosign verify refuses a wrong issuer" "none of the expected identities" \
    cosign verify --rekor-url "$url" --certificate-identity "$email" \
    --certificate-oidc-issuer "https://token.actions.githubusercontent.com" "$image"
  check_refused "cosign verify refuses a wrong branch (feature image, main-only regexp)" \
    "none of the expected identities" \
    cosign verify --rekor-url "$url" "${main_only[@]}" "$repo@$feature"
  check_refused "cosign verify --offline refuses a wrong identity" "none of the expected identities" \
    cosign verify --offline --certificate-identity "someone@sigstack.test" \
    --certificate-oidc-issuer "$issuer" "$image"

  # --- tampering -------------------------------------------------------------------------
  check "skopeo copy another image onto the signed tag" \
    "${SKOPEO[@]}" copy --dest-tls-verify=false "oci:$f/oci-other:v1" "docker://$repo:v1"
  check_refused "cosign verify refuses the re-pushed tag" "no signatures found" \
    cosign verify --rekor-url "$url" "${who[@]}" "$repo:v1"
  check_refused "cosign verify refuses a digest that was never signed" "no signatures found" \
    cosign verify --rekor-url "$url" "${who[@]}" "$repo@$other"
  check_grep "…while the signed digest still verifies" "\"docker-manifest-digest\":\"$digest\"" \
    cosign verify --rekor-url "$url" "${who[@]}" "$image"
  # The signature of the signed image, copied to where cosign looks for the other's: the
  # payload names the signed digest, so it must not vouch for the other image.
  local sig_tag="sha256-${digest#sha256:}.sig" other_sig_tag="sha256-${other#sha256:}.sig"
  check "skopeo copy the signature onto the other image's .sig tag" \
    "${SKOPEO[@]}" copy --src-tls-verify=false --dest-tls-verify=false \
    "docker://$repo:$sig_tag" "docker://$repo:$other_sig_tag"
  check_refused "cosign verify refuses a signature copied from another image" \
    "invalid or missing digest in claim" \
    cosign verify --rekor-url "$url" "${who[@]}" "$repo@$other"
  check_refused "cosign verify --offline refuses it too" \
    "invalid or missing digest in claim" \
    cosign verify --offline "${who[@]}" "$repo@$other"

  # --- attest / verify-attestation (SPDX SBOM) ---------------------------------------------
  mk_spdx "$f/sbom.spdx.json" "demo-$engine"
  check_grep "cosign attest --type spdxjson" "tlog entry created with index" \
    cosign attest --identity-token "$token" "${keyless[@]}" --type spdxjson \
    --predicate "$f/sbom.spdx.json" "$image"
  check "cosign verify-attestation --type spdxjson" \
    cosign verify-attestation --rekor-url "$url" --type spdxjson "${who[@]}" "$image"
  local statement
  statement="$(jq -r 'select(.payload != null) | .payload' <<<"$STDOUT" 2>/dev/null | head -n1 | base64 -d 2>/dev/null || true)"
  if [ "$(jq -r .predicateType <<<"$statement" 2>/dev/null)" = "https://spdx.dev/Document" ] &&
    [ "$(jq -r .subject[0].digest.sha256 <<<"$statement" 2>/dev/null)" = "${digest#sha256:}" ] &&
    [ "$(jq -r .predicate.name <<<"$statement" 2>/dev/null)" = "demo-$engine" ]; then
    ok "…the statement is our SBOM about our digest"
  else
    fail "…the statement is our SBOM about our digest" "$statement"
  fi
  check "cosign verify-attestation --offline" \
    cosign verify-attestation --offline --type spdxjson "${who[@]}" "$image"
  check_refused "cosign verify-attestation refuses a wrong identity" "none of the expected identities" \
    cosign verify-attestation --rekor-url "$url" --type spdxjson \
    --certificate-identity "someone@sigstack.test" --certificate-oidc-issuer "$issuer" "$image"
  check_refused "cosign verify-attestation refuses a wrong issuer" "none of the expected identities" \
    cosign verify-attestation --rekor-url "$url" --type spdxjson --certificate-identity "$email" \
    --certificate-oidc-issuer "https://accounts.google.com" "$image"
  check_refused "cosign verify-attestation refuses a wrong branch" "none of the expected identities" \
    cosign verify-attestation --rekor-url "$url" --type spdxjson \
    --certificate-identity-regexp '^ci\+refs-heads-release@sigstack\.test$' \
    --certificate-oidc-issuer "$issuer" "$image"
  check_refused "cosign verify-attestation refuses an image with no SBOM" "no matching attestations" \
    cosign verify-attestation --rekor-url "$url" --type spdxjson "${who[@]}" "$repo@$feature"
  check_refused "cosign verify-attestation refuses another predicate type (slsaprovenance)" \
    "none of the attestations matched the predicate type" \
    cosign verify-attestation --rekor-url "$url" --type slsaprovenance "${who[@]}" "$image"
  # The SBOM of the signed image, copied to where cosign looks for the other image's: its
  # in-toto subject names the signed digest, so it must not vouch for the other image.
  local att_tag="sha256-${digest#sha256:}.att" other_att_tag="sha256-${other#sha256:}.att"
  check "skopeo copy the attestation onto the other image's .att tag" \
    "${SKOPEO[@]}" copy --src-tls-verify=false --dest-tls-verify=false \
    "docker://$repo:$att_tag" "docker://$repo:$other_att_tag"
  check_refused "cosign verify-attestation refuses an attestation copied from another image" \
    "no matching subject digest found" \
    cosign verify-attestation --rekor-url "$url" --type spdxjson "${who[@]}" "$repo@$other"

  # --- the transparency log ----------------------------------------------------------------
  # The signature's layer is the simple-signing payload; its digest is the hashedrekord's
  # artifact hash, and the signature manifest's bundle annotation names the entry.
  local sig_manifest payload_sha log_index
  sig_manifest="$(timeout 60 "${SKOPEO[@]}" inspect --tls-verify=false --raw "docker://$repo:$sig_tag" 2>/dev/null || true)"
  payload_sha="$(jq -r '.layers[0].digest' <<<"$sig_manifest" 2>/dev/null || true)"
  log_index="$(jq -r '.layers[0].annotations["dev.sigstore.cosign/bundle"] | fromjson | .Payload.logIndex' \
    <<<"$sig_manifest" 2>/dev/null || true)"
  if [[ "$payload_sha" =~ ^sha256:[0-9a-f]{64}$ ]] && [[ "$log_index" =~ ^[0-9]+$ ]]; then
    ok "the signature manifest carries the payload digest and the entry's bundle"
  else
    fail "the signature manifest carries the payload digest and the entry's bundle" "$sig_manifest"
  fi
  local rekor=(rekor-cli --rekor_server "$url")
  check_grep "rekor-cli search --sha (signature payload) finds the entry" "^[0-9a-f]{64,80}$" \
    "${rekor[@]}" search --sha "$payload_sha"
  local uuid
  uuid="$(grep -E '^[0-9a-f]{64,80}$' <<<"$OUT" | head -n1 || true)"
  check_grep "rekor-cli get --uuid returns the hashedrekord entry" '"HashedRekordObj"' \
    "${rekor[@]}" get --uuid "$uuid" --format json
  if jq -e --arg h "${payload_sha#sha256:}" --argjson i "${log_index:-0}" \
    '.LogIndex == $i and .Body.HashedRekordObj.data.hash.value == $h' <<<"$OUT" >/dev/null 2>&1; then
    ok "…at the bundle's log index, with the payload's hash"
  else
    fail "…at the bundle's log index, with the payload's hash" "$OUT"
  fi
  check "rekor-cli get --log-index" "${rekor[@]}" get --log-index "$log_index"
  check_grep "rekor-cli verify --uuid (inclusion proof)" "Inclusion Proof|Current Root Hash" \
    "${rekor[@]}" verify --uuid "$uuid"
  check_grep "rekor-cli search --sha (image digest) finds an entry" "^[0-9a-f]{64,80}$" \
    "${rekor[@]}" search --sha "$digest"
  # cosign attest logs a DSSE envelope (dsse 0.0.1) whose in-toto subject is the image
  # digest; the log indexes subjects, so the search finds the attestation itself.
  local att_uuid kinds=""
  while read -r att_uuid; do
    kinds+="$(timeout 60 "${rekor[@]}" get --uuid "$att_uuid" --format json 2>/dev/null |
      jq -r '.Body | keys[]' 2>/dev/null || true) "
  done < <(grep -E '^[0-9a-f]{64,80}$' <<<"$OUT" || true)
  if [[ "$kinds" == *DSSEObj* || "$kinds" == *IntotoObj* ]]; then ok "…it is the attestation ($kinds)"; else
    fail "…it is the attestation" "kinds: $kinds; search: $OUT"
  fi

  check_grep "sigstack log fsck" "^clean$" \
    "$SIGSTACK" log fsck --data-dir "$data" ${url_pg:+--database-url "$url_pg"}
  stop_server "$server_pid"
  server_pid=""
  if [ "$STOPPED" -eq 0 ]; then ok "the stack exits cleanly on SIGTERM"; else
    fail "the stack exits cleanly on SIGTERM" "exit $STOPPED: $(tail -n 5 "$dir/serve.log")"
  fi
  unset SIGSTORE_ROOT_FILE SIGSTORE_CT_LOG_PUBLIC_KEY_FILE SIGSTORE_REKOR_PUBLIC_KEY SIGSTORE_REKOR_API_URL \
    COSIGN_REKOR_URL COSIGN_FULCIO_URL
  PREFIX=""
}

echo "cosign: $(dpkg-query -W -f '${Version}' cosign 2>/dev/null || echo '?')," \
  "rekor-cli: $(dpkg-query -W -f '${Version}' rekor 2>/dev/null || echo '?')," \
  "skopeo: $(skopeo --version 2>/dev/null | awk '{print $3}')," \
  "docker-registry: $(dpkg-query -W -f '${Version}' docker-registry 2>/dev/null || echo '?')"
for engine in $engines; do
  suite "$engine"
done

stop_server "$registry_pid"
registry_pid=""

finish
