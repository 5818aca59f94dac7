namespace Inroad.Testing.Browser;

/// <summary>
/// The page Chromium runs: ?role=offer|answer&amp;test=bulk|lossy|close|oneway&amp;size=N. Non-trickle signaling
/// through <see cref="BrowserHarness"/>'s mailbox (offer, answer); results are posted as JSON to /mbox/result
/// (and /mbox/closed for the close test); every step is posted to /log.
/// bulk: one reliable channel "bulk"; sends N random bytes in 16 KiB messages and reports the SHA-256 of what it
///   sent and of what it received once N bytes arrived. lossy: counts whole, well-formed 1000-byte messages
///   (4-byte little-endian index, then (index + i) &amp; 255) until /mbox/sentAll, sends 1000 such messages back,
///   paced at 10 per 10 ms.
/// close: echoes one message, then reports channel and SCTP transport close events.
/// oneway (benches; &amp;send=N&amp;recv=N&amp;warm=W&amp;msg=BYTES): sends W + N random-filled bytes in msg-sized messages
///   (default 64 KiB, at most 4 MiB buffered) when N &gt; 0; receives W + N when recv is N &gt; 0, posting /mbox/warm once W
///   bytes are in, then reports recvBytes (N) and recvMs (from the W-th to the last received byte).
/// </summary>
public static class BrowserPage
{
    /// <summary>The page's HTML (one file, inline script).</summary>
    public const string Html = """
<!doctype html>
<html><head><meta charset="utf-8"><title>inroad interop</title></head>
<body><script>
'use strict';
const q = new URLSearchParams(location.search);
const ROLE = q.get('role'), TEST = q.get('test'), SIZE = parseInt(q.get('size') || '0', 10);
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
async function bulk(pc, dc) {
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
  await put('result', { sentHash, recvHash: hex(await crypto.subtle.digest('SHA-256', all)), recvBytes: got,
    ms: performance.now() - t0, label: dc.label, ordered: dc.ordered, transport: await transportStats(pc) });
}
function wellFormed(buf) {
  const b = new Uint8Array(buf);
  if (b.length !== 1000) return -1;
  const index = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
  for (let i = 4; i < 1000; i++) if (b[i] !== ((index + i) & 255)) return -1;
  return index;
}
async function lossy(pc, dc) {
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
  await put('jsSentAll', 'yes');
  await take('sentAll');
  await sleep(1000);
  const dcs = []; (await pc.getStats()).forEach(x => { if (x.type === 'data-channel') dcs.push({ sent: x.messagesSent, recv: x.messagesReceived }); });
  await put('result', { stats: dcs, whole: seen.size, bad, ordered: dc.ordered, maxRetransmits: dc.maxRetransmits, label: dc.label });
}
async function closing(pc, dc) {
  dc.onmessage = e => dc.send(e.data);
  dc.onclose = () => { log('dc.close', dc.readyState); put('closed', { readyState: dc.readyState }); };
  if (pc.sctp) pc.sctp.onstatechange = () => { log('sctp', pc.sctp.state); if (pc.sctp.state === 'closed') put('sctpClosed', pc.sctp.state); };
  await opened(dc);
}
async function oneway(pc, dc) {
  const int = k => parseInt(q.get(k) || '0', 10);
  const SEND = int('send'), RECV = int('recv'), WARM = int('warm'), MSG = int('msg') || 65536;
  let got = 0, first = 0, last = 0;
  const received = new Promise(res => {
    if (RECV === 0) res();
    dc.onmessage = e => {
      got += e.data.byteLength;
      if (first === 0 && got >= WARM) { first = performance.now(); if (WARM > 0) put('warm', String(got)); }
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
  await put('result', { recvBytes: got - WARM, recvMs: last - first, sendMs: performance.now() - t0 });
}
const tests = { bulk, lossy, close: closing, oneway };
async function main() {
  log('userAgent', navigator.userAgent);
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.onconnectionstatechange = () => log('connectionState', pc.connectionState);
  pc.oniceconnectionstatechange = () => log('iceConnectionState', pc.iceConnectionState);
  const run = dc => { dc.binaryType = 'arraybuffer'; log('channel', { label: dc.label, id: dc.id }); tests[TEST](pc, dc).catch(e => { log('error', String(e)); put('result', { error: String(e) }); }); };
  if (ROLE === 'offer') {
    run(pc.createDataChannel(TEST));
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    await put('offer', pc.localDescription.sdp);
    await pc.setRemoteDescription({ type: 'answer', sdp: await take('answer') });
  } else {
    pc.ondatachannel = e => run(e.channel);
    await pc.setRemoteDescription({ type: 'offer', sdp: await take('offer') });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    await put('answer', pc.localDescription.sdp);
  }
  log('signaled', ROLE);
}
main().catch(e => { log('error', String(e)); put('result', { error: String(e) }); });
</script></body></html>
""";
}
