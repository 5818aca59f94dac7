#!/usr/bin/env bash
# netlab.sh — Inroad's NAT-traversal lab, built only from network namespaces (root; Debian 12).
#
#   "internet": namespace pub, bridge br0 = 203.0.113.1/24 + 198.51.100.1/24, routes between the two
#     stun    203.0.113.10 + 203.0.113.11   coturn (RFC 5780: ports 3478/3479; TURN user netlab:netlab)
#     broker  203.0.113.20
#     server  203.0.113.30
#     natA    WAN 203.0.113.101   LAN 198.18.1.1/24  ── client 198.18.1.10
#     natB    WAN 198.51.100.102  LAN 198.18.2.1/24  ── proxy  198.18.2.10
#   miniupnpd (UPnP-IGD :5000, NAT-PMP + PCP :5351) on the routers named by --upnp (default natB).
#
# Usage:
#   netlab.sh up [--nat-a MODE] [--nat-b MODE] [--no-stun] [--upnp natA,natB|none]
#   netlab.sh down                  remove this prefix's lab (processes, namespaces, state)
#   netlab.sh gc                    remove every lab whose owner process (NETLAB_OWNER_PID at up) is gone
#   netlab.sh nat natA|natB MODE    switch a router's behaviour live (flushes its conntrack)
#   netlab.sh exec HOST CMD...      run CMD in HOST's namespace
#   netlab.sh impair HOST IFACE [--delay MS] [--jitter MS] [--loss PCT] [--rate RATE] [--dir out|in|both] [--seed N]
#   netlab.sh unimpair HOST
#   netlab.sh status | ns HOST      print the lab / the namespace name of HOST
# MODE: fullcone (EIM/EIF) | restricted (EIM/ADF) | portrestricted (EIM/APDF) | symmetric (APDM/APDF)
#
# Environment: NETLAB_PREFIX (namespace prefix, default "nl-"; make it unique per run so parallel or
# aborted runs never collide), NETLAB_OWNER_PID (recorded at up, used by gc), NETLAB_STATE (state dir).
# Only namespaces named ${NETLAB_PREFIX}* are created or deleted; veth pairs are created between two
# lab namespaces directly, so nothing ever appears in, or is changed in, the host's own namespace.
set -euo pipefail

P="${NETLAB_PREFIX:-nl-}"
[[ "$P" =~ ^[a-z0-9][a-z0-9-]{0,15}$ ]] || { echo "netlab: bad NETLAB_PREFIX '$P'" >&2; exit 2; }
STATE_ROOT=/run/inroad-netlab
STATE="${NETLAB_STATE:-$STATE_ROOT/$P}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HOSTS=(pub stun broker server natA natB client proxy)

STUN1=203.0.113.10; STUN2=203.0.113.11; STUN_PORT=3478; STUN_ALT=3479
declare -A WAN=([natA]=203.0.113.101 [natB]=198.51.100.102)
declare -A WAN_GW=([natA]=203.0.113.1 [natB]=198.51.100.1)
declare -A LAN=([natA]=198.18.1.0/24 [natB]=198.18.2.0/24)
declare -A LAN_GW=([natA]=198.18.1.1 [natB]=198.18.2.1)

say() { printf 'netlab[%s] %s\n' "$P" "$*" >&2; }
die() { say "error: $*"; exit 1; }
ns() { printf '%s%s' "$P" "$1"; }
in_ns() { local h=$1; shift; ip netns exec "$(ns "$h")" "$@"; }
have_ns() { [ -e "/run/netns/$1" ]; }
root() { [ "$(id -u)" = 0 ] || die "needs root"; }
known_host() { local h; for h in "${HOSTS[@]}"; do [ "$h" = "$1" ] && return 0; done; die "unknown host '$1' (${HOSTS[*]})"; }

# ─────────────────────────────────────────────────────────── building blocks
new_ns() {
  local n; n=$(ns "$1")
  ip netns add "$n"
  ip -n "$n" link set lo up
  # IPv4 only, no redirects, no reverse-path filter: the lab routes asymmetric test traffic on purpose
  in_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
    net.ipv4.conf.all.accept_redirects=0 net.ipv4.conf.all.send_redirects=0
}

new_bridge() {  # host addr/len...
  local h=$1; shift
  ip -n "$(ns "$h")" link add br0 type bridge
  local a; for a in "$@"; do ip -n "$(ns "$h")" addr add "$a" dev br0; done
  ip -n "$(ns "$h")" link set br0 up
  # bridged frames must not traverse this namespace's IP hooks (br_netfilter is built in here)
  in_ns "$h" sh -c 'for f in /proc/sys/net/bridge/bridge-nf-call-iptables /proc/sys/net/bridge/bridge-nf-call-arptables; do [ -w "$f" ] && echo 0 >"$f"; done; true'
}

attach() {  # host switch-host port-name addr/len gateway [more addr/len...]
  local h=$1 sw=$2 port=$3 addr=$4 gw=$5; shift 5
  new_ns "$h"
  ip -n "$(ns "$h")" link add eth0 type veth peer name "$port" netns "$(ns "$sw")"
  ip -n "$(ns "$sw")" link set "$port" master br0 up
  ip -n "$(ns "$h")" addr add "$addr" dev eth0
  local a; for a in "$@"; do ip -n "$(ns "$h")" addr add "$a" dev eth0; done
  ip -n "$(ns "$h")" link set eth0 up
  ip -n "$(ns "$h")" route add default via "$gw"
}

spawn() {  # name host cmd...  (background, pid remembered; every lab process lives in a lab namespace)
  local name=$1 h=$2; shift 2
  ip netns exec "$(ns "$h")" "$@" >"$STATE/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/$name.pid"
}

await_port() {  # host u|t port seconds
  local i; for ((i = 0; i < $4 * 20; i++)); do
    [ -n "$(in_ns "$1" ss -Hln"$2" "sport = :$3" 2>/dev/null)" ] && return 0; sleep 0.05
  done; return 1
}

# ─────────────────────────────────────────────────────────── NAT behaviours
# Mapping: masquerade keeps the source port when it is free, so one internal ip:port gets one external
# port for every destination (endpoint-independent mapping); "fully-random" picks a new port for each
# new 5-tuple (address-and-port-dependent mapping).
# Filtering: conntrack alone only admits replies from the exact remote ip:port (APDF). For EIF and ADF a
# dynamic map learnt in postrouting (external port [+ remote ip] → internal ip:port) is used in
# prerouting to DNAT unsolicited UDP to the host that owns the mapping.  Linux has no in-tree full-cone
# target; this needs only in-tree nf_tables.
ruleset() {  # router mode
  local r=$1 mode=$2 snat
  case "$mode" in
    fullcone|restricted|portrestricted) snat="masquerade" ;;
    symmetric) snat="masquerade fully-random" ;;
    *) die "unknown NAT mode '$mode' (fullcone|restricted|portrestricted|symmetric)" ;;
  esac
  cat <<EOF
table ip inroad_nat {}
delete table ip inroad_nat
table ip inroad_nat {
  chain lab_forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "br0" oifname "eth0" accept
    ct status dnat accept
  }
  chain lab_postrouting {
    type nat hook postrouting priority srcnat + 10; policy accept;
    oifname "eth0" ip saddr ${LAN[$r]} $snat
  }
  # Unsolicited packets to the router's own WAN address are dropped (as home routers do). Otherwise an
  # early inbound hole-punch packet is delivered locally, conntrack confirms an un-NATed entry for it,
  # and the LAN host's own outbound packet then clashes with that entry and gets another port.
  chain lab_input {
    type filter hook input priority filter; policy accept;
    iifname "eth0" ct state established,related accept
    iifname "eth0" icmp type echo-request accept
    iifname "eth0" ip saddr { $STUN1, $STUN2 } udp sport { $STUN_PORT, $STUN_ALT } accept
    iifname "eth0" drop
  }
EOF
  case "$mode" in
    fullcone) cat <<EOF
  map learnt {
    type inet_service : ipv4_addr . inet_service
    flags dynamic,timeout
    timeout 120s
  }
  chain lab_learn {
    type filter hook postrouting priority srcnat + 20; policy accept;
    oifname "eth0" meta l4proto udp ct direction original update @learnt { ct reply proto-dst : ct original ip saddr . ct original proto-src }
  }
  chain lab_prerouting {
    type nat hook prerouting priority dstnat + 10; policy accept;
    iifname "eth0" meta l4proto udp dnat ip to udp dport map @learnt
  }
EOF
    ;;
    restricted) cat <<EOF
  map learnt {
    type inet_service . ipv4_addr : ipv4_addr . inet_service
    flags dynamic,timeout
    timeout 120s
  }
  chain lab_learn {
    type filter hook postrouting priority srcnat + 20; policy accept;
    oifname "eth0" meta l4proto udp ct direction original update @learnt { ct reply proto-dst . ip daddr : ct original ip saddr . ct original proto-src }
  }
  chain lab_prerouting {
    type nat hook prerouting priority dstnat + 10; policy accept;
    iifname "eth0" meta l4proto udp dnat ip to udp dport . ip saddr map @learnt
  }
EOF
    ;;
  esac
  echo "}"
}

set_mode() {  # router mode
  local r=$1
  [ -n "${WAN[$r]:-}" ] || die "not a NAT router: $r (natA|natB)"
  ruleset "$r" "$2" | in_ns "$r" nft -f -
  command -v conntrack >/dev/null && { in_ns "$r" conntrack -F >/dev/null 2>&1 || true; }
  echo "$2" >"$STATE/$r.mode"
}

# ─────────────────────────────────────────────────────────── services
start_coturn() {
  command -v turnserver >/dev/null || die "turnserver missing (Debian package coturn)"
  # Two listening addresses of one family plus the alternate port make coturn 4.6 an RFC 5780 server:
  # answers carry OTHER-ADDRESS and RESPONSE-ORIGIN, and CHANGE-REQUEST is honoured.
  spawn coturn stun turnserver -n --no-cli --no-tls --no-dtls --fingerprint \
    --listening-ip "$STUN1" --listening-ip "$STUN2" --listening-port "$STUN_PORT" --alt-listening-port "$STUN_ALT" \
    --relay-ip "$STUN1" --min-port 49152 --max-port 49999 \
    --lt-cred-mech --user netlab:netlab --realm netlab.test --userdb "$STATE/turndb" \
    --pidfile "$STATE/turnserver.pidfile" --log-file stdout --simple-log
  await_port stun u "$STUN_ALT" 10 || { tail -n 20 "$STATE/coturn.log" >&2; die "coturn did not start"; }
}

start_miniupnpd() {  # router
  local r=$1
  command -v miniupnpd >/dev/null || die "miniupnpd missing (Debian package miniupnpd-nftables)"
  # The chains miniupnpd-nftables writes its redirects into (Debian's nft_init.sh for it is broken).
  in_ns "$r" nft -f - <<'EOF'
table inet filter {
  chain forward { type filter hook forward priority filter; policy accept; jump miniupnpd; }
  chain miniupnpd { }
  chain prerouting { type nat hook prerouting priority dstnat; policy accept; jump prerouting_miniupnpd; }
  chain postrouting { type nat hook postrouting priority srcnat; policy accept; jump postrouting_miniupnpd; }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
EOF
  # miniupnpd refuses "reserved" WAN addresses (its list has 198.51.100/24 and 203.0.113/24), on the
  # interface and in ext_ip=; learning the address by STUN from our coturn gets past that check.
  cat >"$STATE/miniupnpd-$r.conf" <<EOF
ext_ifname=eth0
ext_perform_stun=yes
ext_stun_host=$STUN1
ext_stun_port=$STUN_PORT
listening_ip=br0
http_port=5000
enable_upnp=yes
enable_natpmp=yes
secure_mode=yes
system_uptime=yes
ipv6_disable=yes
min_lifetime=60
max_lifetime=86400
lease_file=$STATE/miniupnpd-$r.leases
uuid=4e5a0c1d-7b2f-4c11-8e0a-0000000000$( [ "$r" = natA ] && echo 0a || echo 0b )
friendly_name=inroad netlab $r
allow 1024-65535 ${LAN[$r]} 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF
  spawn "miniupnpd-$r" "$r" miniupnpd -f "$STATE/miniupnpd-$r.conf" -d -P "$STATE/miniupnpd-$r.pidfile"
  await_port "$r" u 5351 10 || { tail -n 20 "$STATE/miniupnpd-$r.log" >&2; die "miniupnpd did not start on $r"; }
  await_port "$r" t 5000 10 || die "miniupnpd HTTP did not start on $r"
  local i; for ((i = 0; i < 100; i++)); do
    grep -q 'Port forwarding is now enabled' "$STATE/miniupnpd-$r.log" 2>/dev/null && return 0; sleep 0.05
  done
  say "warning: miniupnpd on $r did not report 'Port forwarding is now enabled'"
}

# ─────────────────────────────────────────────────────────── up / down / gc
cmd_up() {
  local mode_a=portrestricted mode_b=portrestricted stun=1 upnp=natB
  while [ $# -gt 0 ]; do
    case "$1" in
      --nat-a) mode_a=$2; shift 2 ;; --nat-b) mode_b=$2; shift 2 ;;
      --no-stun) stun=0; shift ;; --upnp) upnp=$2; shift 2 ;;
      *) die "up: unknown option $1" ;;
    esac
  done
  root; command -v nft >/dev/null || die "nft missing (Debian package nftables)"
  local t0; t0=$(date +%s%N)
  cmd_down quiet
  mkdir -p "$STATE"
  echo "${NETLAB_OWNER_PID:-$PPID}" >"$STATE/owner"
  trap 'rc=$?; if [ $rc != 0 ]; then say "up failed; tearing down"; cmd_down quiet; fi; exit $rc' EXIT

  new_ns pub
  new_bridge pub 203.0.113.1/24 198.51.100.1/24
  in_ns pub sysctl -qw net.ipv4.ip_forward=1
  attach stun   pub p-stun   "$STUN1/24" 203.0.113.1 "$STUN2/24"
  attach broker pub p-broker 203.0.113.20/24 203.0.113.1
  attach server pub p-server 203.0.113.30/24 203.0.113.1
  local r
  for r in natA natB; do
    attach "$r" pub "p-$r" "${WAN[$r]}/24" "${WAN_GW[$r]}"
    in_ns "$r" sysctl -qw net.ipv4.ip_forward=1
    new_bridge "$r" "${LAN_GW[$r]}/24"
  done
  attach client natA l-client 198.18.1.10/24 198.18.1.1
  attach proxy  natB l-proxy  198.18.2.10/24 198.18.2.1
  set_mode natA "$mode_a"
  set_mode natB "$mode_b"
  [ "$stun" = 1 ] && start_coturn
  if [ "$upnp" != none ]; then
    [ "$stun" = 1 ] || die "miniupnpd needs the stun host (it learns its WAN address by STUN)"
    for r in ${upnp//,/ }; do start_miniupnpd "$r"; done
  fi
  trap - EXIT
  say "up in $(( ($(date +%s%N) - t0) / 1000000 )) ms (natA=$mode_a natB=$mode_b upnp=$upnp)"
}

stop_ns() {  # namespace: every process in it was started by this lab
  local n=$1 pids i
  pids=$(ip netns pids "$n" 2>/dev/null || true)
  [ -z "$pids" ] && return 0
  kill -TERM $pids 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do
    pids=$(ip netns pids "$n" 2>/dev/null || true); [ -z "$pids" ] && return 0; sleep 0.05
  done
  kill -KILL $pids 2>/dev/null || true
}

cmd_down() {
  root
  local h n
  for h in "${HOSTS[@]}"; do
    n=$(ns "$h")
    if have_ns "$n"; then stop_ns "$n"; ip netns del "$n" 2>/dev/null || true; fi
  done
  rm -rf "$STATE"
  [ -n "${1:-}" ] || say "down"
}

cmd_gc() {
  root
  local d owner prefix
  for d in "$STATE_ROOT"/*/; do
    [ -d "$d" ] || continue
    prefix=$(basename "$d"); owner=$(cat "$d/owner" 2>/dev/null || echo 0)
    if [ "$owner" != 0 ] && kill -0 "$owner" 2>/dev/null; then continue; fi
    say "gc: removing lab '$prefix' (owner $owner gone)"
    NETLAB_PREFIX="$prefix" NETLAB_STATE="$d" "$0" down >/dev/null 2>&1 || true
  done
}

cmd_status() {
  local h
  for h in "${HOSTS[@]}"; do
    have_ns "$(ns "$h")" || { echo "$(ns "$h") absent"; continue; }
    printf '%-14s %s\n' "$(ns "$h")" "$(in_ns "$h" ip -4 -br addr show | awk '$1 != "lo" {printf "%s ", $0}')"
  done
  for h in natA natB; do [ -f "$STATE/$h.mode" ] && echo "$h: $(cat "$STATE/$h.mode")"; done
  local f; for f in "$STATE"/*.pid; do
    [ -e "$f" ] && echo "$(basename "$f" .pid): pid $(cat "$f") $(kill -0 "$(cat "$f")" 2>/dev/null && echo up || echo gone)"
  done
  return 0
}

# ─────────────────────────────────────────────────────────── impairment
# This kernel has neither sch_netem nor loadable modules. Delay and loss therefore go through the xt
# NFQUEUE target (iptables, nft backend via nft_compat; nft's own "queue" is not built in) to
# netlab-impair.py, which holds or drops each packet; rate uses tc tbf, which is built in.
cmd_impair() {
  local h=$1 dev=$2; shift 2
  known_host "$h"
  local delay=0 jitter=0 loss=0 rate="" dir=out seed=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --delay) delay=$2 ;; --jitter) jitter=$2 ;; --loss) loss=$2 ;; --rate) rate=$2 ;;
      --dir) dir=$2 ;; --seed) seed=$2 ;; *) die "impair: unknown option $1" ;;
    esac; shift 2
  done
  cmd_unimpair "$h" quiet
  [ -n "$rate" ] && in_ns "$h" tc qdisc replace dev "$dev" root tbf rate "$rate" burst 32kbit latency 400ms
  [ "$delay" = 0 ] && [ "$loss" = 0 ] && return 0
  if [ -z "$rate" ] && [ "$dir" = out ] &&
     in_ns "$h" tc qdisc replace dev "$dev" root netem delay "${delay}ms" "${jitter}ms" loss "${loss}%" 2>/dev/null; then
    say "$h/$dev: netem delay ${delay}ms loss ${loss}%"; return 0
  fi
  command -v iptables >/dev/null || die "impair needs iptables (xt NFQUEUE target)"
  in_ns "$h" iptables -w -t mangle -N INROAD_IMPAIR
  case "$dir" in
    out) in_ns "$h" iptables -w -t mangle -I POSTROUTING -o "$dev" -j INROAD_IMPAIR ;;
    in) in_ns "$h" iptables -w -t mangle -I PREROUTING -i "$dev" -j INROAD_IMPAIR ;;
    both) in_ns "$h" iptables -w -t mangle -I POSTROUTING -o "$dev" -j INROAD_IMPAIR
          in_ns "$h" iptables -w -t mangle -I PREROUTING -i "$dev" -j INROAD_IMPAIR ;;
    *) die "impair: --dir out|in|both" ;;
  esac
  # --queue-bypass: if the impairer is not (yet) running, packets pass instead of being dropped
  in_ns "$h" iptables -w -t mangle -A INROAD_IMPAIR -j NFQUEUE --queue-num 7 --queue-bypass
  spawn "impair-$h" "$h" python3 "$HERE/netlab-impair.py" --queue 7 --delay "$delay" --jitter "$jitter" --loss "$loss" --seed "$seed"
  local i; for ((i = 0; i < 60; i++)); do grep -q '^ready' "$STATE/impair-$h.log" 2>/dev/null && break; sleep 0.05; done
  grep -q '^ready' "$STATE/impair-$h.log" || { cat "$STATE/impair-$h.log" >&2; die "impairer did not start"; }
  say "$h/$dev ($dir): delay ${delay}±${jitter} ms loss ${loss}% ${rate:+rate $rate }via NFQUEUE"
}

cmd_unimpair() {
  local h=$1 dev
  known_host "$h"
  for dev in $(in_ns "$h" ls /sys/class/net); do in_ns "$h" tc qdisc del dev "$dev" root 2>/dev/null || true; done
  if in_ns "$h" iptables -w -t mangle -S INROAD_IMPAIR >/dev/null 2>&1; then
    in_ns "$h" iptables -w -t mangle -D POSTROUTING -o "$(in_ns "$h" iptables -w -t mangle -S POSTROUTING | sed -n 's/.*-o \([^ ]*\) -j INROAD_IMPAIR.*/\1/p' | head -1)" -j INROAD_IMPAIR 2>/dev/null || true
    in_ns "$h" iptables -w -t mangle -D PREROUTING -i "$(in_ns "$h" iptables -w -t mangle -S PREROUTING | sed -n 's/.*-i \([^ ]*\) -j INROAD_IMPAIR.*/\1/p' | head -1)" -j INROAD_IMPAIR 2>/dev/null || true
    in_ns "$h" iptables -w -t mangle -F INROAD_IMPAIR
    in_ns "$h" iptables -w -t mangle -X INROAD_IMPAIR
  fi
  if [ -f "$STATE/impair-$h.pid" ]; then
    kill "$(cat "$STATE/impair-$h.pid")" 2>/dev/null || true
    rm -f "$STATE/impair-$h.pid"
  fi
  [ -n "${2:-}" ] || say "$h: impairment removed"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  gc) cmd_gc ;;
  nat) root; [ -d "$STATE" ] || die "lab '$P' is not up"; set_mode "$2" "$3"; say "$2: $3" ;;
  exec) root; known_host "$2"; h=$2; shift 2; in_ns "$h" "$@" ;;
  impair) root; shift; cmd_impair "$@" ;;
  unimpair) root; cmd_unimpair "$2" ;;
  status) cmd_status ;;
  ns) known_host "$2"; ns "$2"; echo ;;
  *) sed -n '2,27p' "$0"; exit 2 ;;
esac
