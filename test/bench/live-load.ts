import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

/**
 * The live benchmark's load generator, run as its own process so it does not
 * share an event loop with what it measures:
 *
 *   node --import tsx test/bench/live-load.ts <udp|tcp> <port> <messages/s> <seconds>
 *
 * Sends a bounded burst (rate x seconds messages) to 127.0.0.1, paced in 10 ms
 * ticks, half RFC 3164 and half RFC 5424 lines, each carrying `seq=` and
 * `t=` (its send time, ms since the epoch) so the receiver can measure
 * latency. TCP uses newline framing and honours backpressure (a receiver that
 * cannot keep up slows the sender, which shows as a lower rate held). Prints
 * one JSON line: { sent, ms, rate, sendErrors }.
 */

export function loadMessage(seq: number, now: number): string {
  const pid = 1000 + (seq % 5000);
  if (seq % 2 === 0) return `<134>Nov 22 05:00:00 gen${seq % 8} loadgen[${pid}]: seq=${seq} t=${now} user=u${seq % 97} src=10.${(seq >> 16) & 255}.${(seq >> 8) & 255}.${seq & 255} action=accept bytes=${seq % 65536}`;
  return `<165>1 2026-11-22T05:00:00.000Z gen${seq % 8} loadgen ${pid} LOAD - seq=${seq} t=${now} user=u${seq % 97} src=10.${(seq >> 16) & 255}.${(seq >> 8) & 255}.${seq & 255} action=deny bytes=${seq % 65536}`;
}

async function main(): Promise<void> {
  const [transport, portText, rateText, secondsText] = process.argv.slice(2);
  const port = Number(portText);
  const rate = Number(rateText);
  const seconds = Number(secondsText);
  if ((transport !== 'udp' && transport !== 'tcp') || !(port > 0) || !(rate > 0) || !(seconds > 0)) {
    process.stderr.write('usage: live-load.ts <udp|tcp> <port> <messages/s> <seconds>\n');
    process.exit(2);
  }
  const total = Math.round(rate * seconds);
  let sent = 0;
  let sendErrors = 0;
  const udp = transport === 'udp' ? createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 }) : null;
  const tcp = transport === 'tcp' ? connect(port, '127.0.0.1') : null;
  if (tcp) {
    tcp.setNoDelay(true);
    await new Promise<void>((ok, fail) => {
      tcp.once('connect', ok);
      tcp.once('error', fail);
    });
    tcp.on('error', () => sendErrors++);
  }
  udp?.connect(port, '127.0.0.1');
  if (udp) await new Promise<void>((ok) => udp.once('connect', ok));

  const t0 = performance.now();
  // Bounded by `total`: every pass sends at least one message or waits for the clock.
  while (sent < total) {
    const due = Math.min(total, Math.floor((rate * (performance.now() - t0)) / 1000));
    // At most a tenth of a second's worth per tick, so a stall is not answered with one giant burst.
    const n = Math.min(due - sent, Math.ceil(rate / 10));
    if (n > 0) {
      const now = Date.now();
      if (udp) {
        for (let i = 0; i < n; i++) udp.send(loadMessage(sent + i, now), (e) => e && sendErrors++);
      } else if (tcp) {
        let text = '';
        for (let i = 0; i < n; i++) text += `${loadMessage(sent + i, now)}\n`;
        if (!tcp.write(text)) await new Promise((ok) => tcp.once('drain', ok));
      }
      sent += n;
    }
    await new Promise((r) => setTimeout(r, n > 0 ? 1 : 5));
  }
  const ms = performance.now() - t0;
  if (tcp) await new Promise<void>((ok) => tcp.end(ok));
  if (udp) await new Promise<void>((ok) => udp.close(ok));
  process.stdout.write(`${JSON.stringify({ sent, ms, rate: Math.round(sent / (ms / 1000)), sendErrors })}\n`);
}

if (process.argv[1] && /live-load\.ts$/.test(process.argv[1])) void main();
