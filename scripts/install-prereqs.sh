#!/usr/bin/env bash
# Installs the Debian packages the lab and browser tests use. Idempotent and quiet; needs root.
# Each package is listed with the tests that need it.
set -euo pipefail
packages=(
  iproute2            # network lab: namespaces, veth, bridges, tc tbf (rate limit)
  nftables            # network lab: NAT routers (EIM/EIF, EIM/ADF, EIM/APDF, APDM/APDF)
  iptables            # network lab: delay/loss via the xt NFQUEUE target (this kernel has no netem)
  conntrack           # network lab: flush NAT state when a router's behaviour is switched
  python3             # network lab: scripts/netlab-impair.py (NFQUEUE delay/loss, stdlib only)
  coturn              # NAT tests: RFC 5780 STUN server with two public addresses; turnutils_natdiscovery
  miniupnpd-nftables  # NAT tests: UPnP-IGD, NAT-PMP and PCP server on a lab NAT router
  miniupnpc           # NAT tests: upnpc, a third-party UPnP client to cross-check ours
  natpmpc             # NAT tests: a third-party NAT-PMP client to cross-check ours
  chromium            # WebRTC browser interop tests: headless Chromium as the other peer
  firefox-esr         # WebRTC browser interop tests: headless Firefox ESR as the other peer (both roles, lab handshakes)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends)
  # apt-get update only when an install from the current lists fails (lists may be stale or absent)
  if ! apt-get install "${apt_opts[@]}" "${missing[@]}" >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get install "${apt_opts[@]}" "${missing[@]}" >/dev/null
  fi
fi
