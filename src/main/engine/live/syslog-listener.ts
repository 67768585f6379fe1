import { isIPv6, type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { SyslogFramer } from './framing';
import type { Journal, LiveMessage } from './journal';
import { UdpReader } from './udp-reader';

export interface ListenerOptions {
  /** Interface to bind; loopback unless the analyst names one explicitly. */
  host?: string;
  udpPort?: number;
  tcpPort?: number;
  tls?: { port: number; cert: string | Buffer; key: string | Buffer };
  journal: Journal;
  maxMessageBytes?: number;
  /** Called after messages were journaled (to wake the consumer). */
  onReceived?: () => void;
}

export interface ListenerPorts {
  udp?: number;
  tcp?: number;
  tls?: number;
}

export interface ListenerStats {
  received: number;
  truncated: number;
  /** TCP/TLS connections accepted since start. */
  connections: number;
  /** TCP/TLS connections open now. */
  open: number;
  dropped: number;
}

/** More simultaneous TCP/TLS senders than this are refused (each costs a descriptor and a framer). */
const MAX_CONNECTIONS = 1024;

/**
 * Receives syslog over UDP, TCP and TLS and writes every message to the
 * journal before anything else happens to it; parsing and storing happen on
 * the consumer side, so a slow database never stalls the sockets.
 */
export class SyslogListener {
  private udp: UdpReader | null = null;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private truncated = 0;
  private connections = 0;
  /** The last socket error after start (the listener keeps running). */
  lastError: string | null = null;

  constructor(private readonly opts: ListenerOptions) {}

  async start(): Promise<ListenerPorts> {
    const host = this.opts.host ?? '127.0.0.1';
    const ports: ListenerPorts = {};
    if (this.opts.udpPort !== undefined) ports.udp = await this.startUdp(host, this.opts.udpPort);
    if (this.opts.tcpPort !== undefined) ports.tcp = await this.listen(createTcpServer((s) => this.onStream(s, 'tcp')), host, this.opts.tcpPort);
    if (this.opts.tls) {
      const server = createTlsServer({ cert: this.opts.tls.cert, key: this.opts.tls.key }, (s) => this.onStream(s, 'tls'));
      ports.tls = await this.listen(server, host, this.opts.tls.port);
    }
    return ports;
  }

  stats(): ListenerStats {
    return { received: this.opts.journal.received, truncated: this.truncated, connections: this.connections, open: this.sockets.size, dropped: this.opts.journal.dropped };
  }

  async stop(): Promise<void> {
    const udp = this.udp;
    this.udp = null;
    await udp?.close();
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((srv) => new Promise<void>((ok) => srv.close(() => ok()))));
    this.servers.length = 0;
  }

  private async startUdp(host: string, port: number): Promise<number> {
    // Read on a thread of its own (udp-reader.ts); batches are journaled here as they arrive.
    this.udp = await UdpReader.start({
      host,
      port,
      ipv6: isIPv6(host),
      maxBytes: this.opts.maxMessageBytes ?? 64 * 1024,
      onBatch: (messages, truncated) => {
        this.truncated += truncated;
        this.record(messages);
      },
      onError: (message) => (this.lastError = message),
    });
    return this.udp.port;
  }

  private listen(server: Server, host: string, port: number): Promise<number> {
    server.maxConnections = MAX_CONNECTIONS;
    return new Promise((ok, fail) => {
      server.once('error', fail);
      server.listen(port, host, () => {
        this.servers.push(server);
        server.off('error', fail);
        server.on('error', (e) => (this.lastError = e.message));
        ok((server.address() as AddressInfo).port);
      });
    });
  }

  private onStream(sock: Socket, transport: 'tcp' | 'tls'): void {
    this.connections++;
    this.sockets.add(sock);
    const peer = `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? 0}`;
    const framer = new SyslogFramer({ maxMessageBytes: this.opts.maxMessageBytes });
    const emit = (frames: { message: string; truncated: boolean }[]): void => {
      if (frames.length === 0) return;
      const now = Date.now();
      const batch: Array<Omit<LiveMessage, 'seq'>> = [];
      for (const f of frames) {
        if (f.truncated) this.truncated++;
        batch.push({ receivedAt: now, peer, transport, message: f.message });
      }
      this.record(batch);
    };
    sock.on('data', (chunk: Buffer) => emit(framer.push(chunk)));
    sock.on('end', () => emit(framer.flush()));
    sock.on('error', () => undefined); // a peer resetting the connection is not our failure
    sock.on('close', () => this.sockets.delete(sock));
  }

  private record(batch: Array<Omit<LiveMessage, 'seq'>>): void {
    this.opts.journal.append(batch);
    this.opts.onReceived?.();
  }
}
