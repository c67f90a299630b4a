#!/usr/bin/env bash
# Installs the real Sigstore clients the end-to-end tests drive: cosign and rekor-cli from Debian
# trixie (through a temporary apt source derived from this machine's own Debian entry, removed
# afterwards; the system is never upgraded from it), sigstore-python from PyPI, sigstore-js's
# CLI from npm, and for the
# container-image suite docker-registry, skopeo and jq, and for the rekord pgp/minisign checks
# gnupg and minisign, from the machine's own Debian release.
# Idempotent: does nothing for clients already present.
set -euo pipefail

need_apt=()
command -v cosign >/dev/null 2>&1 || need_apt+=(cosign)
command -v rekor-cli >/dev/null 2>&1 || need_apt+=(rekor)

if [ ${#need_apt[@]} -gt 0 ]; then
  src=/etc/apt/sources.list.d/debian.sources
  tmp=/etc/apt/sources.list.d/sigstack-trixie.sources
  prefs=/etc/apt/preferences.d/sigstack-trixie
  cleanup() { rm -f "$tmp" "$prefs"; apt-get update -qq >/dev/null 2>&1 || true; }
  trap cleanup EXIT
  if [ -f "$src" ]; then
    # The first stanza of the machine's own deb822 entry, suite switched to trixie.
    awk 'BEGIN{RS="";ORS="\n\n"} NR==1' "$src" \
      | sed -E 's/^Suites:.*/Suites: trixie/' >"$tmp"
  else
    # One-line format: reuse the first main Debian line's URI.
    uri=$(grep -hE '^deb [^ ]+ [a-z]+ ' /etc/apt/sources.list | grep -v security | head -n1 | awk '{print $2}')
    echo "deb $uri trixie main" >"${tmp%.sources}.list"
    tmp="${tmp%.sources}.list"
  fi
  # Pin trixie low so nothing but what we ask for comes from it.
  printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' >"$prefs"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t trixie "${need_apt[@]}"
fi

# For tests/e2e/images.sh: a local OCI registry (the distribution registry; the package's own
# service is not used, the suite starts one on a free loopback port) and skopeo to push the
# image it builds, from the machine's own release (bookworm and trixie both have them).
# For tests/e2e/rekor-clients.sh: gpg and minisign make the rekord pgp / minisign signatures.
need_deb=()
command -v gpg >/dev/null 2>&1 || need_deb+=(gnupg)
command -v minisign >/dev/null 2>&1 || need_deb+=(minisign)
command -v docker-registry >/dev/null 2>&1 || need_deb+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need_deb+=(skopeo)
command -v jq >/dev/null 2>&1 || need_deb+=(jq)
if [ ${#need_deb[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_deb[@]}"
fi

if ! python3 -c 'import sigstore' >/dev/null 2>&1; then
  python3 -m pip install -q 'sigstore>=3.6,<5'
fi

# sigstore-js's CLI from the npm registry, into a folder of the repo that git ignores
# (tests/e2e/keyless.sh runs it from there). Node.js and npm come from the machine, or from
# Debian when it has none.
sigstore_js="$(cd "$(dirname "$0")" && pwd)/e2e/.clients/sigstore-js"
if [ ! -x "$sigstore_js/node_modules/.bin/sigstore" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
  fi
  mkdir -p "$sigstore_js"
  npm install --silent --no-audit --no-fund --prefix "$sigstore_js" @sigstore/cli@0.10.3
fi

cosign version 2>&1 | grep -i gitversion || true
rekor-cli version 2>&1 | grep -i gitversion || true
python3 -m sigstore --version || true
"$sigstore_js/node_modules/.bin/sigstore" --version || true
gpg --version | head -n1 || true
minisign -v || true
skopeo --version || true
docker-registry --version || true
