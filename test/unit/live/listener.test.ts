import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { appendFileSync, existsSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileFollower } from '../../../src/main/engine/live/follow';
import { Journal, positionsInJournal, type LiveMessage } from '../../../src/main/engine/live/journal';
import { LivePump, type LiveSink } from '../../../src/main/engine/live/pump';
import { SyslogListener } from '../../../src/main/engine/live/syslog-listener';
import { tempDir } from '../../helpers';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

class MemorySink implements LiveSink {
  stored: LiveMessage[] = [];
  failNext = 0;
  async store(batch: LiveMessage[]) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('database busy');
    }
    this.stored.push(...batch);
    return { stored: batch.length, rejected: 0 };
  }
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('syslog listener', () => {
  it('binds to loopback by default and takes UDP and both TCP framings into the journal', async () => {
    const journal = new Journal(join(tmp.dir, 'j'));
    const sink = new MemorySink();
    const pump = new LivePump(journal, sink, { intervalMs: 20 });
    const listener = new SyslogListener({ journal, udpPort: 0, tcpPort: 0, onReceived: () => pump.nudge() });
    const ports = await listener.start();
    pump.start();

    const udp = createSocket('udp4');
    await new Promise<void>((ok) => udp.send('<13>Nov  1 10:00:00 host app: over udp', ports.udp as number, '127.0.0.1', () => ok()));
    udp.close();
    const tcp = connect(ports.tcp as number, '127.0.0.1');
    await new Promise((ok) => tcp.once('connect', ok));
    tcp.end(`<13>Nov  1 10:00:01 host app: lf framed\n${Buffer.byteLength('octet\ncounted')} octet\ncounted`);

    await until(() => sink.stored.length === 3, 'three stored messages');
    expect(sink.stored.map((m) => m.message).sort()).toEqual(['<13>Nov  1 10:00:00 host app: over udp', '<13>Nov  1 10:00:01 host app: lf framed', 'octet\ncounted']);
    expect(sink.stored.find((m) => m.transport === 'udp')?.peer).toMatch(/^127\.0\.0\.1:/);
    expect(listener.stats()).toMatchObject({ received: 3, dropped: 0 });
    await pump.stop();
    await listener.stop();
    journal.close();
  });

  it.skipIf(!existsSync('/usr/bin/openssl'))('accepts syslog over TLS with the analyst certificate', async () => {
    const key = join(tmp.dir, 'key.pem');
    const cert = join(tmp.dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const journal = new Journal(join(tmp.dir, 'j'));
    const listener = new SyslogListener({ journal, tls: { port: 0, cert: readFileSync(cert), key: readFileSync(key) } });
    const ports = await listener.start();
    const sock = tlsConnect({ port: ports.tls as number, host: '127.0.0.1', ca: readFileSync(cert), servername: 'localhost' });
    await new Promise((ok) => sock.once('secureConnect', ok));
    sock.end('<13>Nov  1 10:00:00 host app: secret\n');
    await until(() => journal.received === 1, 'the TLS message');
    expect(journal.take(5)[0]).toMatchObject({ transport: 'tls', message: '<13>Nov  1 10:00:00 host app: secret' });
    await listener.stop();
    journal.close();
  });

  it('keeps messages when the sink fails and stores them once it recovers', async () => {
    const journal = new Journal(join(tmp.dir, 'j'));
    const sink = new MemorySink();
    sink.failNext = 2;
    const pump = new LivePump(journal, sink, { intervalMs: 10 });
    journal.append(Array.from({ length: 50 }, (_, i) => ({ receivedAt: Date.now(), peer: 'p', transport: 'tcp' as const, message: `m${i}` })));
    pump.start();
    await until(() => sink.stored.length === 50, 'all 50 after recovery');
    expect(sink.stored.map((m) => m.message)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    await pump.stop();
    journal.close();
  });
});

describe('file follower (tail -F)', () => {
  it('follows growth, waits for unfinished lines, handles rotation, truncation and new files, and resumes without duplicates', () => {
    const dir = join(tmp.dir, 'logs');
    execFileSync('mkdir', ['-p', dir]);
    const log = join(dir, 'auth.log');
    writeFileSync(log, 'one\ntwo\npartial');
    const jdir = join(tmp.dir, 'j');
    const journal = new Journal(jdir);
    const f = new FileFollower({ paths: [dir], journal });
    const taken = (): string[] => journal.take(1000).map((m) => m.message);

    f.poll();
    expect(taken()).toEqual(['one', 'two']);
    appendFileSync(log, ' line\nthree\n');
    f.poll();
    expect(taken()).toEqual(['partial line', 'three']);

    // Rotation: the old file gets a last line after the rename, then a new file appears.
    renameSync(log, join(tmp.dir, 'auth.log.1'));
    appendFileSync(join(tmp.dir, 'auth.log.1'), 'four (late, old file)\n');
    writeFileSync(log, 'five (new file)\n');
    f.poll();
    expect(taken()).toEqual(['four (late, old file)', 'five (new file)']);

    // Truncation in place (copytruncate).
    truncateSync(log, 0);
    appendFileSync(log, 'six\n');
    f.poll();
    expect(taken()).toEqual(['six']);

    // A new file in the watched folder.
    writeFileSync(join(dir, 'syslog'), 'seven\n');
    f.poll();
    expect(taken()).toEqual(['seven']);
    f.stop();
    journal.close();

    // Restart: resume from what reached the journal; nothing is read twice.
    appendFileSync(log, 'eight\n');
    const journal2 = new Journal(jdir);
    const f2 = new FileFollower({ paths: [dir], journal: journal2, resume: positionsInJournal(jdir) });
    f2.poll();
    expect(journal2.take(1000).map((m) => m.message)).toEqual(['eight']);
    f2.stop();
    journal2.close();
  });
});
