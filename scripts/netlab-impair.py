#!/usr/bin/env python3
"""netlab-impair.py — delay, jitter and loss for a kernel without sch_netem (used by netlab.sh impair).

Binds one nfnetlink_queue queue in the current network namespace. Every packet the xt NFQUEUE target
hands over is either dropped (probability --loss %) or released with an ACCEPT verdict once
--delay ms (± uniform --jitter ms) have passed. Python standard library only; needs CAP_NET_ADMIN.
The random generator is seeded (--seed) so a lossy run can be replayed. Prints "ready" once bound and a
one-line summary on SIGTERM/SIGINT.
"""
import argparse
import heapq
import random
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
QUEUE_SUBSYS = 3 << 8
MSG_PACKET, MSG_VERDICT, MSG_CONFIG = QUEUE_SUBSYS | 0, QUEUE_SUBSYS | 1, QUEUE_SUBSYS | 2
CFG_CMD, CFG_PARAMS = 1, 2
CMD_BIND = 1
COPY_META = 1
ATTR_PACKET_HDR, ATTR_VERDICT_HDR = 1, 2
DROP, ACCEPT = 0, 1
F_REQUEST, F_ACK = 0x1, 0x4
NLMSG_ERROR = 2


def tlv(kind: int, value: bytes) -> bytes:
    """One netlink attribute, padded to 4 bytes."""
    head = struct.pack("=HH", 4 + len(value), kind)
    return head + value + bytes(-(4 + len(value)) % 4)


def nfmsg(kind: int, queue: int, attrs: bytes, flags: int = F_REQUEST) -> bytes:
    """nlmsghdr + nfgenmsg(AF_UNSPEC, version 0, queue number big-endian) + attributes."""
    body = struct.pack("!BBH", 0, 0, queue) + attrs
    return struct.pack("=IHHII", 16 + len(body), kind, flags, 0, 0) + body


def configure(sock: socket.socket, queue: int, attrs: bytes) -> None:
    sock.send(nfmsg(MSG_CONFIG, queue, attrs, F_REQUEST | F_ACK))
    reply = sock.recv(8192)
    _, kind = struct.unpack_from("=IH", reply)
    if kind == NLMSG_ERROR:
        (err,) = struct.unpack_from("=i", reply, 16)
        if err != 0:
            sys.exit(f"netlab-impair: queue {queue} config failed: errno {-err}")


def packet_ids(data: bytes):
    """Yields the packet id of every NFQNL_MSG_PACKET in one netlink read."""
    off = 0
    while off + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, off)
        if length < 16 or off + length > len(data):
            return
        if kind == MSG_PACKET:
            a = off + 20  # nlmsghdr (16) + nfgenmsg (4)
            while a + 4 <= off + length:
                alen, akind = struct.unpack_from("=HH", data, a)
                if alen < 4:
                    break
                if akind & 0x7FFF == ATTR_PACKET_HDR and alen >= 8:
                    yield struct.unpack_from("!I", data, a + 4)[0]
                    break
                a += (alen + 3) & ~3
        off += (length + 3) & ~3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queue", type=int, required=True)
    ap.add_argument("--delay", type=float, default=0.0, help="milliseconds")
    ap.add_argument("--jitter", type=float, default=0.0, help="milliseconds, uniform ±")
    ap.add_argument("--loss", type=float, default=0.0, help="percent")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind((0, 0))
    configure(sock, args.queue, tlv(CFG_CMD, struct.pack("!BxH", CMD_BIND, 0)))
    configure(sock, args.queue, tlv(CFG_PARAMS, struct.pack("!IB", 0, COPY_META)))

    running = True

    def stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    held = []  # heap of (due, arrival order, packet id)
    order = accepted = dropped = 0

    def verdict(pid: int, v: int) -> None:
        sock.send(nfmsg(MSG_VERDICT, args.queue, tlv(ATTR_VERDICT_HDR, struct.pack("!II", v, pid))))

    print(f"ready queue={args.queue} delay={args.delay}ms jitter={args.jitter}ms loss={args.loss}%", flush=True)
    while running:
        now = time.monotonic()
        while held and held[0][0] <= now:
            verdict(heapq.heappop(held)[2], ACCEPT)
            accepted += 1
        wait = 0.25 if not held else max(0.0, held[0][0] - now)
        try:
            readable, _, _ = select.select([sock], [], [], wait)
        except InterruptedError:
            continue
        if not readable:
            continue
        data = sock.recv(1 << 20)
        for pid in packet_ids(data):
            if args.loss > 0 and rng.random() * 100.0 < args.loss:
                verdict(pid, DROP)
                dropped += 1
                continue
            hold = args.delay + (rng.uniform(-args.jitter, args.jitter) if args.jitter else 0.0)
            if hold <= 0:
                verdict(pid, ACCEPT)
                accepted += 1
            else:
                order += 1
                heapq.heappush(held, (time.monotonic() + hold / 1000.0, order, pid))
    for _, _, pid in held:
        verdict(pid, ACCEPT)
        accepted += 1
    print(f"done accepted={accepted} dropped={dropped}", flush=True)


if __name__ == "__main__":
    main()
