#!/usr/bin/env bash
# Installs the Debian packages the lab and browser tests use. Idempotent; needs root.
# Each package is listed with the tests that need it.
set -euo pipefail
packages=(
  iproute2   # network lab: namespaces, veth, bridges
  nftables   # network lab: NAT routers
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
