import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6, type AddressInfo, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { SyslogFramer } from './framing';
import type { Journal, LiveMessage } from './journal';

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
  connections: number;
  dropped: number;
}

/**
 * Receives syslog over UDP, TCP and TLS and writes every message to the
 * journal before anything else happens to it; parsing and storing happen on
 * the consumer side, so a slow database never stalls the sockets.
 */
export class SyslogListener {
  private udp: UdpSocket | null = null;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private truncated = 0;
  private connections = 0;

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
    return { received: this.opts.journal.received, truncated: this.truncated, connections: this.connections, dropped: this.opts.journal.dropped };
  }

  async stop(): Promise<void> {
    this.udp?.close();
    this.udp = null;
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((srv) => new Promise<void>((ok) => srv.close(() => ok()))));
    this.servers.length = 0;
  }

  private startUdp(host: string, port: number): Promise<number> {
    return new Promise((ok, fail) => {
      // A large receive buffer absorbs bursts while the event loop is busy; UDP has no other backpressure.
      const sock = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: 16 * 1024 * 1024 });
      sock.on('message', (msg, rinfo) => {
        const max = this.opts.maxMessageBytes ?? 64 * 1024;
        let text = msg.subarray(0, max).toString('utf8');
        if (msg.length > max) this.truncated++;
        text = text.replace(/[\r\n\0]+$/, '');
        this.record([{ receivedAt: Date.now(), peer: `${rinfo.address}:${rinfo.port}`, transport: 'udp', message: text }]);
      });
      sock.once('error', fail);
      sock.bind(port, host, () => {
        this.udp = sock;
        ok(sock.address().port);
      });
    });
  }

  private listen(server: Server, host: string, port: number): Promise<number> {
    return new Promise((ok, fail) => {
      server.once('error', fail);
      server.listen(port, host, () => {
        this.servers.push(server);
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
