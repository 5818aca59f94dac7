namespace Inroad.Testing.Browser;

/// <summary>
/// The page the browser runs. It puts its user agent to /mbox/ready, then runs jobs one after another, each with a
/// fresh RTCPeerConnection (the previous one is closed): job N is the JSON {role: offer|answer, test, size, stun}
/// taken from /mbox/job/N, and every mailbox name of that job is prefixed with "N/" (see <see cref="BrowserHarness"/>).
/// Non-trickle signaling (offer, answer); results are posted as JSON to result (and closed for the close test);
/// every step is posted to /log.
/// bulk: one reliable channel; sends size random bytes in 16 KiB messages and reports the SHA-256 of what it
///   sent and of what it received once size bytes arrived. lossy: counts whole, well-formed 1000-byte messages
///   (4-byte little-endian index, then (index + i) &amp; 255) until 1 s passes without one after sentAll, sends
///   1000 such messages back, paced at 10 per 10 ms.
/// close: echoes one message, then reports channel and SCTP transport close events.
/// handshake: reports the transport stats (DTLS version, cipher, role) once connected, then echoes messages.
/// oneway (benches; job parameters send, recv, warm, msg): sends warm + send random-filled bytes in msg-sized messages
///   (default 64 KiB, at most 4 MiB buffered) when send &gt; 0; receives warm + recv when recv &gt; 0, putting warm once
///   warm bytes are in, then reports recvBytes (recv) and recvMs (from the warm-th to the last received byte).
/// </summary>
public static class BrowserPage
{
    public const string Html = """
<!doctype html>
<html><head><meta charset="utf-8"><title>inroad interop</title></head>
<body><script>
'use strict';
function log(kind, data) {
  fetch('/log', { method: 'POST', body: JSON.stringify({ t: Math.round(performance.now()), kind, data }) }).catch(() => {});
}
async function put(name, v) { await fetch('/mbox/' + name, { method: 'POST', body: typeof v === 'string' ? v : JSON.stringify(v) }); }
async function take(name) {
  for (;;) {
    const r = await fetch('/mbox/' + name, { cache: 'no-store' });
    if (r.status === 200) return await r.text();
  }
}
const sleep = ms => new Promise(r => setTimeout(r, ms));
function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise(r => pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') r(); }));
}
function opened(dc) {
  if (dc.readyState === 'open') return Promise.resolve();
  return new Promise(r => dc.addEventListener('open', () => r()));
}
const hex = b => Array.from(new Uint8Array(b)).map(x => x.toString(16).padStart(2, '0')).join('');
async function transportStats(pc) {
  const out = [];
  (await pc.getStats()).forEach(s => { if (s.type === 'transport') out.push({ tlsVersion: s.tlsVersion, dtlsCipher: s.dtlsCipher, dtlsRole: s.dtlsRole, dtlsState: s.dtlsState }); });
  return out[0] || {};
}
async function bulk(pc, dc, io) {
  const SIZE = io.size;
  const chunks = []; let got = 0;
  const received = new Promise(res => {
    dc.onmessage = e => { chunks.push(e.data); got += e.data.byteLength; if (got >= SIZE) res(); };
  });
  const data = new Uint8Array(SIZE);
  for (let o = 0; o < SIZE; o += 65536) crypto.getRandomValues(data.subarray(o, Math.min(SIZE, o + 65536)));
  const sentHash = hex(await crypto.subtle.digest('SHA-256', data));
  await opened(dc);
  const t0 = performance.now();
  dc.bufferedAmountLowThreshold = 1 << 20;
  for (let o = 0; o < SIZE; o += 16384) {
    if (dc.bufferedAmount > (4 << 20)) {
      await new Promise(r => { dc.onbufferedamountlow = () => { dc.onbufferedamountlow = null; r(); }; });
    }
    dc.send(data.subarray(o, Math.min(SIZE, o + 16384)));
  }
  log('sent', { bytes: SIZE, ms: performance.now() - t0 });
  await received;
  const all = new Uint8Array(got); let off = 0;
  for (const c of chunks) { all.set(new Uint8Array(c), off); off += c.byteLength; }
  await io.put('result', { sentHash, recvHash: hex(await crypto.subtle.digest('SHA-256', all)), recvBytes: got,
    ms: performance.now() - t0, label: dc.label, ordered: dc.ordered, transport: await transportStats(pc) });
}
function wellFormed(buf) {
  const b = new Uint8Array(buf);
  if (b.length !== 1000) return -1;
  const index = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
  for (let i = 4; i < 1000; i++) if (b[i] !== ((index + i) & 255)) return -1;
  return index;
}
async function lossy(pc, dc, io) {
  const seen = new Set(); let bad = 0;
  dc.onmessage = e => { const i = wellFormed(e.data); if (i < 0 || i >= 1000 || seen.has(i)) bad++; else seen.add(i); };
  await opened(dc);
  for (let index = 0; index < 1000; index++) {
    const b = new Uint8Array(1000);
    b[0] = index & 255; b[1] = (index >> 8) & 255;
    for (let i = 4; i < 1000; i++) b[i] = (index + i) & 255;
    if (index % 10 === 9) await sleep(10);
    dc.send(b);
  }
  await io.put('jsSentAll', 'yes');
  await io.take('sentAll');
  // Counting stops after 1 s without a new message (up to 10 s): a loaded machine may still be delivering.
  for (let waited = 0, last = -1; waited < 10000 && seen.size + bad !== last; waited += 1000) { last = seen.size + bad; await sleep(1000); }
  const dcs = []; (await pc.getStats()).forEach(x => { if (x.type === 'data-channel') dcs.push({ sent: x.messagesSent, recv: x.messagesReceived }); });
  await io.put('result', { stats: dcs, whole: seen.size, bad, ordered: dc.ordered, maxRetransmits: dc.maxRetransmits, label: dc.label });
}
async function closing(pc, dc, io) {
  dc.onmessage = e => dc.send(e.data);
  dc.onclose = () => { log('dc.close', dc.readyState); io.put('closed', { readyState: dc.readyState }); };
  if (pc.sctp) pc.sctp.onstatechange = () => { log('sctp', pc.sctp.state); if (pc.sctp.state === 'closed') io.put('sctpClosed', pc.sctp.state); };
  await opened(dc);
}
async function handshake(pc, dc, io) {
  dc.onmessage = e => dc.send(e.data);
  await opened(dc);
  await io.put('result', { transport: await transportStats(pc), connectionState: pc.connectionState });
}
async function oneway(pc, dc, io) {
  const SEND = io.spec.send || 0, RECV = io.spec.recv || 0, WARM = io.spec.warm || 0, MSG = io.spec.msg || 65536;
  let got = 0, first = 0, last = 0;
  const received = new Promise(res => {
    if (RECV === 0) res();
    dc.onmessage = e => {
      got += e.data.byteLength;
      if (first === 0 && got >= WARM) { first = performance.now(); if (WARM > 0) io.put('warm', String(got)); }
      if (got >= WARM + RECV && last === 0) { last = performance.now(); res(); }
    };
  });
  const data = new Uint8Array(MSG);
  for (let o = 0; o < MSG; o += 65536) crypto.getRandomValues(data.subarray(o, Math.min(MSG, o + 65536)));
  await opened(dc);
  const t0 = performance.now();
  dc.bufferedAmountLowThreshold = 1 << 20;
  for (let sent = 0; sent < SEND + WARM && SEND > 0;) {
    if (dc.bufferedAmount > (4 << 20)) {
      await new Promise(r => { dc.onbufferedamountlow = () => { dc.onbufferedamountlow = null; r(); }; });
    }
    const n = Math.min(MSG, SEND + WARM - sent);
    dc.send(n === MSG ? data : data.subarray(0, n));
    sent += n;
  }
  await received;
  await io.put('result', { recvBytes: got - WARM, recvMs: last - first, sendMs: performance.now() - t0 });
}
const tests = { bulk, lossy, close: closing, handshake, oneway };
function job(n, spec) {
  const io = { spec, size: spec.size || 0, put: (name, v) => put(n + '/' + name, v), take: name => take(n + '/' + name) };
  const pc = new RTCPeerConnection({ iceServers: spec.stun ? [{ urls: 'stun:' + spec.stun }] : [] });
  pc.onconnectionstatechange = () => { log('connectionState', { job: n, state: pc.connectionState }); if (pc.connectionState === 'failed') io.put('failed', 'yes'); };
  pc.oniceconnectionstatechange = () => log('iceConnectionState', { job: n, state: pc.iceConnectionState });
  const fail = e => { log('error', { job: n, error: String(e) }); io.put('result', { error: String(e) }); };
  const run = dc => { dc.binaryType = 'arraybuffer'; log('channel', { job: n, label: dc.label, id: dc.id }); tests[spec.test](pc, dc, io).catch(fail); };
  signal(pc, spec, io, run).catch(fail);
  return pc;
}
async function signal(pc, spec, io, run) {
  if (spec.role === 'offer') {
    run(pc.createDataChannel(spec.test));
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    await io.put('offer', pc.localDescription.sdp);
    await pc.setRemoteDescription({ type: 'answer', sdp: await io.take('answer') });
  } else {
    pc.ondatachannel = e => run(e.channel);
    await pc.setRemoteDescription({ type: 'offer', sdp: await io.take('offer') });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    await io.put('answer', pc.localDescription.sdp);
  }
  log('signaled', spec.role);
}
async function main() {
  log('userAgent', navigator.userAgent);
  await put('ready', navigator.userAgent);
  let pc = null;
  for (let n = 1; ; n++) {
    const spec = JSON.parse(await take('job/' + n));
    if (pc) pc.close();
    pc = job(n, spec);
  }
}
main().catch(e => log('error', String(e)));
</script></body></html>
""";
}
