import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChunkWriter, eventTemplate, eventValues, evtxFile, V } from '../../fixtures/evtx-writer';
import { tempFiles } from './helpers';

/** `loupe evtx dump` run as a process, from source, the way a user runs it. */
const ROOT = join(__dirname, '..', '..', '..');
const file = tempFiles();

function loupe(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main/hosts/cli/main.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, LOUPE_CLI_MAIN: '1' },
    maxBuffer: 1 << 28,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sampleFile(): string {
  const t = eventTemplate(1, ['TargetUserName', 'CommandLine', null]);
  const w = new ChunkWriter();
  for (let id = 1; id <= 5; id++) {
    w.addRecord(id, {
      instance: t,
      values: eventValues({ eventId: 4688, qualifiers: id === 1 ? 16384 : null, recordId: 1000 + id, userSid: 'S-1-5-18', data: [V.string('alice'), V.string(`cmd.exe /c "echo ${id}"\nsecond line`), V.string('x')] }),
    });
  }
  return file('cli.evtx', evtxFile([w.finish()]));
}

describe('loupe evtx dump', () => {
  const path = sampleFile();

  it('writes one JSON object per record with the System fields and EventData', () => {
    const r = loupe('evtx', 'dump', path, '--json');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records[0]).toEqual({
      EventRecordID: 1001,
      TimeCreated: '2022-10-11T22:13:20.0000000Z',
      EventID: 4688,
      Provider: 'Microsoft-Windows-Security-Auditing',
      Channel: 'Security',
      Computer: 'WS01.example.test',
      Provider_Guid: '{54849625-5478-4994-A5BA-3E3B0328C30D}',
      EventID_Qualifiers: 16384,
      Level: 0,
      Keywords: '0x8020000000000000',
      Security_UserID: 'S-1-5-18',
      EventData: { TargetUserName: 'alice', CommandLine: 'cmd.exe /c "echo 1"\nsecond line', Data_1: 'x' },
    });
    expect(Object.keys(records[0]!).slice(0, 6)).toEqual(['EventRecordID', 'TimeCreated', 'EventID', 'Provider', 'Channel', 'Computer']);
    expect(records.map((x) => x.EventRecordID)).toEqual([1001, 1002, 1003, 1004, 1005]);
    expect(records[1]).not.toHaveProperty('EventID_Qualifiers');
    const summary = JSON.parse(r.stderr.trimEnd().split('\n').at(-1)!) as { summary: Record<string, number> };
    expect(summary.summary).toMatchObject({ recordsSeen: 5, recordsReturned: 5, recordsRejected: 0 });
  });

  it('gives the same output with worker threads, and exits when done (idle workers never hold the process)', () => {
    const t = eventTemplate(1, ['N']);
    const chunks = [0, 1, 2, 3].map((c) => {
      const w = new ChunkWriter();
      for (let i = 1; i <= 10; i++) w.addRecord(c * 10 + i, { instance: t, values: eventValues({ eventId: 1, recordId: c * 10 + i, data: [V.string(`n${i}`)] }) });
      return w.finish();
    });
    const multi = file('multi.evtx', evtxFile(chunks));
    const inline = loupe('evtx', 'dump', multi, '--json', '--workers', '0');
    const threaded = loupe('evtx', 'dump', multi, '--json', '--workers', '2');
    expect(threaded.status).toBe(0);
    expect(threaded.stdout.trimEnd().split('\n')).toHaveLength(40);
    expect(threaded.stdout).toBe(inline.stdout);
  });

  it('prints one compact line per record without --json', () => {
    const r = loupe('evtx', 'dump', path);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('2022-10-11T22:13:20.0000000Z #1001 Security 4688 Microsoft-Windows-Security-Auditing @WS01.example.test TargetUserName=alice CommandLine=cmd.exe /c "echo 1" second line Data_1=x');
    expect(r.stderr).toMatch(/^evtx: 5 records from .*cli\.evtx, 1 chunks\n$/);
  });

  it('sends issues to stderr and keeps stdout to the records', () => {
    const w = new ChunkWriter();
    w.addRecord(7, { instance: eventTemplate(1, []), values: eventValues({ eventId: 1102, recordId: 7, data: [] }) });
    const damaged = Buffer.concat([evtxFile([w.finish()]), Buffer.alloc(65536)]);
    damaged.writeUInt16LE(2, 42); // the header now counts the zeroed chunk too (and its CRC no longer holds)
    const r = loupe('evtx', 'dump', file('damaged.evtx', damaged), '--json');
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { EventRecordID: number }).EventRecordID)).toEqual([7]);
    const notes = r.stderr.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
    expect(notes.map((n) => Object.keys(n)[0])).toEqual(['issue', 'issue', 'summary']);
    expect(notes[0]!.issue).toMatchObject({ kind: 'checksum', reason: 'file header checksum mismatch' });
    expect(notes[1]!.issue).toMatchObject({ chunk: 1, reason: 'chunk is all zeros', offset: 4096 + 65536 });
  });

  it('fails with an error document for a missing file and a usage error for bad options', () => {
    const missing = loupe('evtx', 'dump', join(ROOT, 'no-such-file.evtx'), '--json');
    expect(missing.status).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const usage = loupe('evtx', 'dump', path, '--workers', 'many', '--json');
    expect(usage.status).toBe(2);
    expect(JSON.parse(usage.stdout)).toMatchObject({ error: { code: 'USAGE' } });
  });
});
