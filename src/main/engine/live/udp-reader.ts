import { Worker } from 'node:worker_threads';
import type { LiveMessage } from './journal';

/**
 * A UDP socket read on a thread of its own. UDP has no backpressure: what
 * the kernel's receive buffer cannot hold while the reader is busy is lost
 * (Linux caps that buffer at net.core.rmem_max, 4 MB by default: a fifth of
 * a second at 50,000 datagrams/s). On the main thread every pause (a
 * commit's result, a rule run, a garbage collection) drained nothing; this
 * thread does nothing else, and hands the datagrams over in batches.
 *
 * Plain JavaScript evaluated in the worker, so it runs the same under tsx,
 * the bundled build and Electron, with no file to locate.
 */
const READER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createSocket } = require('node:dgram');
const { host, port, maxBytes, ipv6 } = workerData;
const sock = createSocket({ type: ipv6 ? 'udp6' : 'udp4', recvBufferSize: 16 * 1024 * 1024 });
let pending = [];
let truncated = 0;
let timer = null;
const send = () => {
  timer = null;
  if (pending.length === 0) return;
  parentPort.postMessage({ type: 'batch', messages: pending, truncated });
  pending = [];
  truncated = 0;
};
sock.on('message', (msg, rinfo) => {
  let text = msg.subarray(0, maxBytes).toString('utf8');
  if (msg.length > maxBytes) truncated++;
  text = text.replace(/[\\r\\n\\0]+$/, '');
  pending.push({ receivedAt: Date.now(), peer: rinfo.address + ':' + rinfo.port, transport: 'udp', message: text });
  // A few milliseconds of datagrams per hand-over: one message to the main thread instead of hundreds.
  if (pending.length >= 2000) send();
  else if (timer === null) timer = setTimeout(send, 5);
});
sock.once('error', (e) => parentPort.postMessage({ type: 'failed', message: e.message, code: e.code }));
sock.bind(port, host, () => {
  sock.removeAllListeners('error');
  sock.on('error', (e) => parentPort.postMessage({ type: 'error', message: e.message }));
  parentPort.postMessage({ type: 'bound', port: sock.address().port });
});
parentPort.on('message', (m) => {
  if (m && m.type === 'close') {
    if (timer !== null) clearTimeout(timer);
    send();
    sock.close(() => parentPort.postMessage({ type: 'closed' }));
  }
});
`;

type FromReader =
  | { type: 'batch'; messages: Array<Omit<LiveMessage, 'seq'>>; truncated: number }
  | { type: 'bound'; port: number }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'error'; message: string }
  | { type: 'closed' };

export interface UdpReaderOptions {
  host: string;
  port: number;
  ipv6: boolean;
  maxBytes: number;
  /** Datagrams read since the last batch, in arrival order. */
  onBatch: (messages: Array<Omit<LiveMessage, 'seq'>>, truncated: number) => void;
  /** A socket error after binding (the reader keeps running). */
  onError: (message: string) => void;
}

export class UdpReader {
  private constructor(
    private readonly worker: Worker,
    readonly port: number,
  ) {}

  /** Bind on the reader thread; rejects as a bind on this thread would (EADDRINUSE, EACCES ...). */
  static start(o: UdpReaderOptions): Promise<UdpReader> {
    const worker = new Worker(READER_SOURCE, { eval: true, workerData: { host: o.host, port: o.port, ipv6: o.ipv6, maxBytes: o.maxBytes } });
    return new Promise((resolve, reject) => {
      let bound = false;
      worker.on('message', (m: FromReader) => {
        if (m.type === 'batch') o.onBatch(m.messages, m.truncated);
        else if (m.type === 'error') o.onError(m.message);
        else if (m.type === 'bound') {
          bound = true;
          resolve(new UdpReader(worker, m.port));
        } else if (m.type === 'failed') {
          void worker.terminate();
          reject(Object.assign(new Error(m.message), { code: m.code }));
        }
      });
      worker.on('error', (e) => {
        if (!bound) reject(e);
        else o.onError(e.message);
      });
      worker.on('exit', () => {
        if (!bound) reject(new Error('the UDP reader thread stopped before binding'));
      });
    });
  }

  /** Close the socket; the datagrams read before it closed are handed over first. */
  async close(): Promise<void> {
    await new Promise<void>((done) => {
      const timer = setTimeout(done, 2000);
      this.worker.on('message', (m: FromReader) => {
        if (m.type === 'closed') {
          clearTimeout(timer);
          done();
        }
      });
      this.worker.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      this.worker.postMessage({ type: 'close' });
    });
    await this.worker.terminate();
  }
}
