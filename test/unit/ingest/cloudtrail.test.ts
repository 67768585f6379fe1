import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildRuleSet, parseRuleText, runRules } from '../../../src/main/engine/detect';
import { mapJsonRecord } from '../../../src/main/engine/ingest/formats/json-map';
import { unwrapJsonArray } from '../../../src/main/engine/ingest/json-unwrap';
import { sniffFormat } from '../../../src/main/engine/ingest/sniff';
import { corpusMissing, corpusPath } from '../../corpus';
import { tempDir } from '../../helpers';
import { enginesPerTest, expectReconciled, fieldTable, importAndWait, sql } from './import-helpers';

/** CloudTrail records of the kinds the SigmaHQ rules look for, as AWS writes them. */
function records(n: number): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < n; i++) {
    const t = new Date(Date.UTC(2024, 2, 1, 10) + i * 1000).toISOString().replace('.000Z', 'Z');
    const base = { eventVersion: '1.08', eventTime: t, awsRegion: 'us-east-1', recipientAccountId: '123456789012', eventID: `e${i}` };
    if (i % 100 === 0) {
      out.push({
        ...base,
        userIdentity: { type: 'IAMUser', principalId: 'AIDA1', arn: 'arn:aws:iam::123456789012:user/alice', accountId: '123456789012', userName: 'alice' },
        eventSource: 'signin.amazonaws.com',
        eventName: 'ConsoleLogin',
        sourceIPAddress: '203.0.113.7',
        userAgent: 'Mozilla/5.0',
        requestParameters: null,
        responseElements: { ConsoleLogin: 'Failure' },
        additionalEventData: { MFAUsed: 'No' },
        errorMessage: 'Failed authentication',
        eventType: 'AwsConsoleSignIn',
      });
    } else if (i % 250 === 1) {
      out.push({
        ...base,
        userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/mallory', accountId: '123456789012', userName: 'mallory' },
        eventSource: 'iam.amazonaws.com',
        eventName: 'CreateAccessKey',
        sourceIPAddress: '198.51.100.9',
        requestParameters: { userName: 'alice' },
        responseElements: { accessKey: { userName: 'alice', accessKeyId: 'AKIA1', status: 'Active' } },
        eventType: 'AwsApiCall',
      });
    } else {
      out.push({
        ...base,
        userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/app/i-0abc', accountId: '123456789012' },
        eventSource: 's3.amazonaws.com',
        eventName: i % 7 === 0 ? 'PutObject' : 'GetObject',
        sourceIPAddress: 'ec2.amazonaws.com',
        requestParameters: { bucketName: 'logs', key: `k/${i}` },
        ...(i % 13 === 0 ? { errorCode: 'AccessDenied', errorMessage: 'Access Denied' } : {}),
        eventType: 'AwsApiCall',
      });
    }
  }
  return out;
}

describe('JSON records wrapped in an array under one key', () => {
  const tmp = tempDir('loupe-unwrap-');

  const unwrap = async (text: string | Buffer, key = 'Records'): Promise<{ r: Awaited<ReturnType<typeof unwrapJsonArray>>; lines: string[] }> => {
    const input = join(tmp.dir, `in-${Math.random().toString(36).slice(2)}.json`);
    const out = `${input}.ndjson`;
    writeFileSync(input, text);
    const r = await unwrapJsonArray(input, out, key);
    return { r, lines: r ? readFileSync(out, 'utf8').split('\n').filter((l) => l.length > 0) : [] };
  };

  it('writes each element as one line: one line of JSON, pretty-printed, and several wrappers one after another', async () => {
    const recs = records(5);
    const one = await unwrap(JSON.stringify({ Records: recs }));
    expect(one.r).toEqual({ records: 5, truncated: false });
    expect(one.lines.map((l) => JSON.parse(l))).toEqual(recs);
    const pretty = await unwrap(JSON.stringify({ Records: recs }, null, 2));
    expect(pretty.lines.map((l) => JSON.parse(l))).toEqual(recs);
    // A string's escaped quotes, braces and brackets do not end an element.
    const tricky = [{ a: 'x"}]{[', b: '\\', c: [1, { d: '}' }] }];
    expect((await unwrap(JSON.stringify({ Records: tricky }))).lines.map((l) => JSON.parse(l))).toEqual(tricky);
    const two = await unwrap(`${JSON.stringify({ Records: recs.slice(0, 2) })}\n${JSON.stringify({ Records: recs.slice(2) })}\n`);
    expect(two.r).toEqual({ records: 5, truncated: false });
    expect((await unwrap('{"Records": []}')).r).toEqual({ records: 0, truncated: false });
  });

  it('streams a file much larger than its read buffer, elements cut across reads', async () => {
    const recs = records(20_000);
    const text = JSON.stringify({ Records: recs });
    expect(text.length).toBeGreaterThan(8 << 20);
    const big = await unwrap(text);
    expect(big.r).toEqual({ records: 20_000, truncated: false });
    expect(big.lines.map((l) => JSON.parse(l))).toEqual(recs);
  });

  it('gives null (read the file as it is) for anything but exactly that shape, and keeps a truncated file up to its cut', async () => {
    expect((await unwrap('{"Records": [{"a":1}], "next": "x"}')).r).toBeNull();
    expect((await unwrap('{"Records": [1, 2]}')).r).toBeNull();
    expect((await unwrap('{"Other": [{"a":1}]}')).r).toBeNull();
    expect((await unwrap('{"Records": [{"a":1}]} trailing')).r).toBeNull();
    expect((await unwrap('[{"a":1}]')).r).toBeNull();
    const cut = await unwrap('{"Records": [{"a":1}, {"b":2}, {"c":');
    expect(cut.r).toEqual({ records: 2, truncated: true });
    expect(cut.lines).toEqual(['{"a":1}', '{"b":2}', '{"c":']);
  });
});

describe('a one-line JSON array longer than a line may be', () => {
  const fresh = enginesPerTest();

  it('is unwrapped element by element (key null) and strictly', async () => {
    const tmp = tempDir('loupe-unwrap-array-');
    try {
      const run = async (text: string): Promise<[Awaited<ReturnType<typeof unwrapJsonArray>>, string[]]> => {
        writeFileSync(join(tmp.dir, 'a.json'), text);
        const r = await unwrapJsonArray(join(tmp.dir, 'a.json'), join(tmp.dir, 'a.ndjson'), null);
        return [r, r ? readFileSync(join(tmp.dir, 'a.ndjson'), 'utf8').split('\n').filter(Boolean) : []];
      };
      expect(await run('[{"a":1}, {"b":[2]}]\n')).toEqual([{ records: 2, truncated: false }, ['{"a":1}', '{"b":[2]}']]);
      expect((await run('[{"a":1}] [{"b":2}]'))[0]).toBeNull();
      expect((await run('{"a":[{"b":1}]}'))[0]).toBeNull();
    } finally {
      tmp.cleanup();
    }
  });

  it('with one broken record: that record is rejected, the other 19,999 imported', async () => {
    const f = await fresh();
    const recs = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ ts: '2024-03-01T10:00:00Z', host: 'h', message: `record ${i} ${'x'.repeat(40)}` }));
    recs[12_345] = '{"ts":"2024-03-01T10:00:00Z","message":tru}';
    const file = join(f.dir, 'export.json');
    writeFileSync(file, `[${recs.join(',')}]`);
    const s = await importAndWait(f.engine, { paths: [file] });
    await expectReconciled(f.engine, s);
    expect(s.files[0]).toMatchObject({ format: 'json-array', stored: 19_999, rejected: 1 });
    const [err] = await sql(f.engine, `SELECT pos FROM ingest_errors WHERE kind = 'rejected'`);
    expect(err).toMatchObject({ pos: 12_346 });
  });
});

describe('AWS CloudTrail', () => {
  const fresh = enginesPerTest();

  it('maps a record: account, call, caller, identity, outcome', () => {
    const [login, key] = [records(1)[0], records(2)[1]] as Array<Record<string, unknown>>;
    expect(mapJsonRecord(login as Record<string, unknown>)).toMatchObject({
      ts: '2024-03-01T10:00:00.000Z',
      dataset: 'aws.cloudtrail',
      host: '123456789012',
      event_code: 'ConsoleLogin',
      src_ip: '203.0.113.7',
      user: 'alice',
      process: 'signin.amazonaws.com',
      action: 'consolelogin',
      outcome: 'failure',
      message: 'signin.amazonaws.com ConsoleLogin Failed authentication',
    });
    expect(mapJsonRecord(key as Record<string, unknown>)).toMatchObject({ user: 'mallory', outcome: 'success', src_ip: '198.51.100.9' });
    // A service calling on the account's behalf is no address; an errorCode is a failure.
    expect(mapJsonRecord(records(14)[13] as Record<string, unknown>)).toMatchObject({ src_ip: null, user: 'arn:aws:sts::123456789012:assumed-role/app/i-0abc', outcome: 'failure' });
  });

  it('is sniffed as records wrapped in "Records", small or larger than the sample', () => {
    for (const n of [3, 2000]) {
      const s = sniffFormat(Buffer.from(JSON.stringify({ Records: records(n) })).subarray(0, 64 * 1024), '123456789012_CloudTrail_us-east-1_20240301T1000Z_x.json');
      expect(s).toMatchObject({ format: 'json-concat', jsonUnwrap: 'Records', jsonFamily: 'cloudtrail' });
      expect(s.reason).toContain('AWS CloudTrail');
    }
  });

  it('imports a gzipped log file as its records, with nested names as columns, and SigmaHQ-style rules fire', async () => {
    const f = await fresh();
    const recs = records(3000);
    const file = join(f.dir, '123456789012_CloudTrail_us-east-1_20240301T1000Z_abc.json.gz');
    writeFileSync(file, gzipSync(JSON.stringify({ Records: recs })));
    const s = await importAndWait(f.engine, { paths: [file] });
    await expectReconciled(f.engine, s);
    const leaf = s.files.find((x) => x.kind === 'file');
    expect(leaf).toMatchObject({ format: 'json-concat', status: 'imported', seen: 3000, stored: 3000, rejected: 0 });
    expect(await sql(f.engine, `SELECT dataset, count(*)::INTEGER AS n, count(ts)::INTEGER AS timed, count(DISTINCT event_code)::INTEGER AS calls FROM events GROUP BY dataset`)).toEqual([
      { dataset: 'aws.cloudtrail', n: 3000, timed: 3000, calls: 4 },
    ]);
    const table = await fieldTable(f.engine, leaf?.evidenceId as number);
    const cols = (await sql(f.engine, `SELECT column_name FROM information_schema.columns WHERE table_name = $t`, { t: table })).map((r) => String(r.column_name));
    expect(cols).toEqual(expect.arrayContaining(['eventName', 'eventSource', 'userIdentity.type', 'userIdentity.arn', 'responseElements.accessKey.userName', 'errorCode']));
    // Record order and positions follow the array.
    const firsts = await sql(f.engine, `SELECT pos, event_code FROM events ORDER BY rid LIMIT 3`);
    expect(firsts).toEqual([
      { pos: 1, event_code: 'ConsoleLogin' },
      { pos: 2, event_code: 'CreateAccessKey' },
      { pos: 3, event_code: 'GetObject' },
    ]);

    const rule = (id: number, detection: string): string => `title: t${id}
id: 30000000-0000-0000-0000-00000000000${id}
logsource:
    product: aws
    service: cloudtrail
detection:
${detection}
level: medium
`;
    const rs = buildRuleSet([
      ...parseRuleText(rule(1, "    selection:\n        eventName: 'ConsoleLogin'\n        errorMessage: 'Failed authentication'\n    condition: selection"), 'a.yml'),
      ...parseRuleText(rule(2, "    selection:\n        eventSource: iam.amazonaws.com\n        eventName: CreateAccessKey\n        userIdentity.type: IAMUser\n    condition: selection"), 'b.yml'),
    ]);
    expect(rs.rules.map((r) => r.status)).toEqual(['active', 'active']);
    const hits = Object.fromEntries((await runRules(f.engine.case.conn, rs)).hits.map((h) => [h.ruleId.slice(-1), h.eventIds.length]));
    expect(hits).toEqual({ '1': 30, '2': 12 });

    const published = 'sigma/SigmaHQ/rules/cloud/aws/cloudtrail/aws_cloudtrail_console_login_failed_authentication.yml';
    if (!corpusMissing(published)) {
      const sigma = buildRuleSet(parseRuleText(readFileSync(corpusPath(published), 'utf8'), 'published.yml'));
      expect(sigma.rules[0]?.status).toBe('active');
      expect((await runRules(f.engine.case.conn, sigma)).hits.flatMap((h) => h.eventIds)).toHaveLength(30);
    }
  });

  it('keeps the records before the cut of a truncated log file and rejects the broken one', async () => {
    const f = await fresh();
    const text = JSON.stringify({ Records: records(50) });
    const file = join(f.dir, 'cut.json');
    writeFileSync(file, text.slice(0, text.lastIndexOf('{"eventVersion"') + 40));
    const s = await importAndWait(f.engine, { paths: [file] });
    await expectReconciled(f.engine, s);
    expect(s.files[0]).toMatchObject({ stored: 49, rejected: 1 });
    const [err] = await sql(f.engine, `SELECT pos, pos_kind FROM ingest_errors`);
    expect(err).toMatchObject({ pos: 50 });
    const [ev] = await sql(f.engine, `SELECT format_reason FROM evidence WHERE kind = 'file'`);
    expect(String(ev?.format_reason)).toContain('the records before the cut are kept');
  });
});
