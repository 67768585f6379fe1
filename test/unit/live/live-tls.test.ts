import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { liveFixture, searchTotal, until, type LiveFixture } from './helpers';

let f: LiveFixture;
beforeEach(async () => {
  f = await liveFixture();
});
afterEach(async () => {
  await f.cleanup();
});

/** A self-signed certificate and key made for the test, as an analyst would bring their own. */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
}

/** RFC 5425: each message prefixed with its length in octets. */
function sendTls(port: number, ca: string, messages: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const s = tlsConnect({ port, host: '127.0.0.1', ca: readFileSync(ca) }, () => s.end(messages.map((m) => `${Buffer.byteLength(m)} ${m}`).join('')));
    s.on('error', fail);
    s.on('close', () => ok());
  });
}

const msg = (i: number) => `<38>Nov 22 05:00:0${i} vpn01 sshd[90${i}]: Accepted publickey for alice from 192.0.2.${i} port 5000${i} ssh2`;

describe.skipIf(!existsSync('/usr/bin/openssl'))('syslog over TLS with the analyst certificate', () => {
  it('verifies against the certificate, stores the messages, and refuses a key it cannot read', async () => {
    const { cert, key } = selfSigned(f.dir);
    const info = await f.op('startListener', { tls: { port: 0, certPath: cert, keyPath: key } });
    expect(info.state).toBe('running');
    expect(info.listener).toMatchObject({ host: '127.0.0.1', tls: 0, certPath: cert, keyPath: key, udp: null, tcp: null });
    const port = info.bound?.tls as number;
    expect(port).toBeGreaterThan(0);

    // The client checks the server against the analyst's certificate (a real handshake, not rejectUnauthorized: false).
    await sendTls(port, cert, [msg(1), msg(2), msg(3)]);
    await until(async () => (await searchTotal(f, 'host:vpn01')) === 3, 'three TLS messages searchable');
    expect(await searchTotal(f, '_transport:tls user:alice')).toBe(3);

    // A client that does not trust this certificate gets no session, and nothing is stored from it.
    mkdirSync(join(f.dir, 'other'));
    const other = selfSigned(join(f.dir, 'other'));
    await expect(sendTls(port, other.cert, [msg(4)])).rejects.toThrow();
    await f.op('stopLiveSource', { id: info.id });
    expect(await searchTotal(f, 'host:vpn01')).toBe(3);

    // A key file that is not there, or not a key: a clear refusal, and no listener left behind.
    await expect(f.op('startListener', { tls: { port: 0, certPath: cert, keyPath: join(f.dir, 'missing.pem') } })).rejects.toThrow(/TLS certificate or key/);
    writeFileSync(join(f.dir, 'garbage.pem'), 'not a key');
    const bad = await f.op('startListener', { tcp: 0, tls: { port: 0, certPath: cert, keyPath: join(f.dir, 'garbage.pem') } }).then(
      () => null,
      (e: Error) => e.message,
    );
    console.log(`a key that is not a key: ${bad}`);
    expect(bad).toMatch(/key|PEM|TLS/i);
    // The key of another certificate: refused before anything binds.
    await expect(f.op('startListener', { tls: { port: 0, certPath: cert, keyPath: other.key } })).rejects.toThrow(/cannot be used together/);
    const sources = (await f.op('listLiveSources', {})).sources;
    expect(sources.filter((s) => s.state === 'running')).toEqual([]);
  }, 30_000);
});
