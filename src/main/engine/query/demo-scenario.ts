import type { DuckDBConnection } from '@duckdb/node-api';
import { LoupeError } from '@shared/errors';
import { Case } from '../case/case';

/**
 * The demo/scenario case (`loupe demo`, the tests, the 10M-event benchmark):
 * realistic multi-source events with a known attack story
 * hidden in random background traffic, written straight into a case the way
 * the importer lays it out (docs/data-model.md): one `src_<n>` field table
 * per source file with its ORIGINAL field names, the narrow `events` core,
 * `sources` and `evidence`.
 *
 * Generation is bulk SQL inside DuckDB (hash-based pseudo-random values over
 * range()), so 10M events take seconds, not the minutes a JS loop would.
 * The same seed gives the same case. `SCENARIO_TRUTH` says exactly what the
 * story put in, so tests can assert counts.
 */
export interface ScenarioOptions {
  events: number;
  seed?: number;
  /** First moment of the scenario (UTC). */
  start?: string;
  /** Span of the background traffic in hours. */
  hours?: number;
  /** Sort `events` by time before assigning ids (what a finished import is like). */
  sorted?: boolean;
  /** Allow replacing the events of a case that has some (never on an analyst's real case by accident). */
  replace?: boolean;
}

export const SCENARIO_START = '2024-03-11T00:00:00Z';

/** What the story injects, independent of the background volume. */
export const SCENARIO_TRUTH = {
  bruteForce: { ip: '203.0.113.66', user: 'administrator', host: 'DC01.corp.example', failed: 50, succeeded: 1 },
  encodedPowershell: { host: 'WS07.corp.example', count: 3, marker: 'JABjAGwAaQBlAG4AdAAgAD0A' },
  c2: { ip: '198.51.100.23', port: 443, connections: 20 },
  beaconAlert: { signature: 'ET MALWARE Possible Cobalt Strike Beacon Activity', count: 5 },
  sshV6: { ip: '2001:db8:bad::7', failed: 12 },
  sqli: { ip: '192.0.2.44', count: 8 },
  /** Web lines whose time could not be parsed (ts NULL). */
  noTime: 7,
} as const;

interface DatasetSpec {
  dataset: string;
  format: string;
  share: number;
  files: string[];
  /** Original fields: name -> SQL over `i` (row number) and `ts`. */
  fields: Record<string, string>;
  /** Core columns: SQL over the fields (quoted names) and `ts`. */
  core: Record<string, string>;
}

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

export async function generateScenario(dir: string, opts: ScenarioOptions): Promise<{ events: number; sources: number }> {
  const c = await Case.openOrCreate(dir, 'Scenario');
  try {
    return await fillScenario(c.conn, opts);
  } finally {
    c.close();
  }
}

export async function fillScenario(conn: DuckDBConnection, opts: ScenarioOptions): Promise<{ events: number; sources: number }> {
  const seed = opts.seed ?? 7;
  const startMs = Date.parse(opts.start ?? SCENARIO_START);
  const spanUs = Math.round((opts.hours ?? 72) * 3600e6);
  const r = (k: number, m: number) => `(hash(i, ${seed * 1000 + k}) % ${m})`;
  const pick = (k: number, items: string[]) => `[${items.map((s) => `'${s.replaceAll("'", "''")}'`).join(', ')}][${r(k, items.length)}::INTEGER + 1]`;
  const ip10 = (k: number) => `'10.' || ${r(k, 4)} || '.' || ${r(k + 1, 256)} || '.' || (${r(k + 2, 253)} + 1)`;
  const ipPub = (k: number) => `${pick(k, ['31', '45', '52', '77', '91', '104', '142', '151', '185', '212'])} || '.' || ${r(k + 1, 256)} || '.' || ${r(k + 2, 256)} || '.' || (${r(k + 3, 253)} + 1)`;
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'svc_backup', 'svc_sql', 'SYSTEM', 'grace', 'heidi'];
  const winHosts = ['DC01.corp.example', 'WS01.corp.example', 'WS02.corp.example', 'WS03.corp.example', 'FS01.corp.example'];

  const specs: DatasetSpec[] = [
    {
      dataset: 'windows.security',
      format: 'evtx',
      share: 0.3,
      files: ['evidence/DC01/Security.evtx', 'evidence/WS01/Security.evtx'],
      fields: {
        EventID: `${pick(1, ['4624', '4624', '4624', '4634', '4634', '4672', '4688', '4625', '4768', '4769'])}::INTEGER`,
        Computer: pick(2, winHosts),
        TargetUserName: pick(3, users),
        TargetDomainName: `'CORP'`,
        LogonType: `${pick(4, ['2', '3', '3', '3', '5', '10'])}::INTEGER`,
        IpAddress: ip10(5),
        IpPort: `(${r(8, 60000)} + 1024)::INTEGER`,
        WorkstationName: pick(9, ['WS01', 'WS02', 'WS03', 'FS01', '-']),
        ProcessName: pick(10, ['C:\\Windows\\System32\\lsass.exe', 'C:\\Windows\\System32\\winlogon.exe', 'C:\\Windows\\System32\\services.exe', '-']),
        Status: `CASE WHEN ${r(1, 10)} = 7 THEN '0xc000006d' ELSE NULL END`,
      },
      core: {
        host: '"Computer"',
        event_code: 'CAST("EventID" AS VARCHAR)',
        severity: `CASE WHEN "EventID" = 4625 THEN 'low' ELSE 'informational' END`,
        message: `CASE "EventID" WHEN 4624 THEN 'An account was successfully logged on. Account: ' || "TargetUserName" || ' Logon type: ' || "LogonType" || ' Source address: ' || "IpAddress"
                   WHEN 4625 THEN 'An account failed to log on. Account: ' || "TargetUserName" || ' Source address: ' || "IpAddress"
                   WHEN 4634 THEN 'An account was logged off. Account: ' || "TargetUserName"
                   WHEN 4672 THEN 'Special privileges assigned to new logon. Account: ' || "TargetUserName"
                   WHEN 4688 THEN 'A new process has been created. Process: ' || "ProcessName"
                   ELSE 'Kerberos ticket requested for ' || "TargetUserName" END`,
        src_ip: '"IpAddress"',
        src_port: '"IpPort"',
        user: '"TargetUserName"',
        process: `CASE WHEN "ProcessName" = '-' THEN NULL ELSE "ProcessName" END`,
        action: `CASE "EventID" WHEN 4624 THEN 'logon' WHEN 4625 THEN 'logon-failed' WHEN 4634 THEN 'logoff' WHEN 4672 THEN 'privileged-logon' WHEN 4688 THEN 'process-start' ELSE 'kerberos-ticket' END`,
        outcome: `CASE WHEN "EventID" = 4625 THEN 'failure' ELSE 'success' END`,
      },
    },
    {
      dataset: 'sysmon',
      format: 'evtx',
      share: 0.2,
      files: ['evidence/WS01/Microsoft-Windows-Sysmon%4Operational.evtx', 'evidence/WS02/Microsoft-Windows-Sysmon%4Operational.evtx'],
      fields: {
        EventID: `${pick(11, ['1', '1', '3', '3', '3', '11', '13', '22'])}::INTEGER`,
        Computer: pick(12, winHosts.slice(1)),
        Image: pick(13, ['C:\\Windows\\System32\\svchost.exe', 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', 'C:\\Windows\\explorer.exe', 'C:\\Windows\\System32\\cmd.exe', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE']),
        CommandLine: pick(14, ['svchost.exe -k netsvcs -p', '"chrome.exe" --type=renderer', 'explorer.exe', 'cmd.exe /c whoami', 'powershell.exe -ExecutionPolicy Bypass -File C:\\scripts\\inventory.ps1', '"WINWORD.EXE" /n C:\\Users\\bob\\Documents\\report.docx']),
        ParentImage: pick(15, ['C:\\Windows\\System32\\services.exe', 'C:\\Windows\\explorer.exe', 'C:\\Windows\\System32\\cmd.exe']),
        User: `'CORP\\' || ${pick(16, users)}`,
        ProcessId: `(${r(17, 30000)} + 100)::INTEGER`,
        DestinationIp: ipPub(18),
        DestinationPort: `${pick(22, ['443', '443', '80', '53', '8080'])}::INTEGER`,
        Hashes: `'SHA256=' || upper(md5(CAST(${r(23, 500)} AS VARCHAR)) || md5(CAST(${r(23, 500)} AS VARCHAR)))`,
      },
      core: {
        host: '"Computer"',
        event_code: 'CAST("EventID" AS VARCHAR)',
        severity: `'informational'`,
        message: `CASE "EventID" WHEN 1 THEN 'Process Create: ' || "Image" || ' CommandLine: ' || "CommandLine"
                   WHEN 3 THEN 'Network connection detected: ' || "Image" || ' -> ' || "DestinationIp" || ':' || "DestinationPort"
                   WHEN 11 THEN 'File created by ' || "Image"
                   WHEN 13 THEN 'Registry value set by ' || "Image"
                   ELSE 'DNS query by ' || "Image" END`,
        dst_ip: `CASE WHEN "EventID" = 3 THEN "DestinationIp" END`,
        dst_port: `CASE WHEN "EventID" = 3 THEN "DestinationPort" END`,
        protocol: `CASE WHEN "EventID" = 3 THEN 'tcp' END`,
        user: `split_part("User", '\\', 2)`,
        process: '"Image"',
        action: `CASE "EventID" WHEN 1 THEN 'process-start' WHEN 3 THEN 'network-connection' WHEN 11 THEN 'file-create' WHEN 13 THEN 'registry-set' ELSE 'dns-query' END`,
      },
    },
    {
      dataset: 'linux.auth',
      format: 'syslog',
      share: 0.1,
      files: ['evidence/web01/var/log/auth.log'],
      fields: {
        hostname: `'web01'`,
        program: pick(31, ['sshd', 'sshd', 'sudo', 'CRON', 'systemd-logind']),
        pid: `(${r(32, 60000)} + 300)::INTEGER`,
        ssh_user: pick(33, ['deploy', 'ubuntu', 'root', 'backup', 'admin']),
        rhost: `CASE WHEN ${r(34, 5)} = 0 THEN '2001:db8:' || printf('%x', ${r(35, 61440)} + 4096) || '::' || printf('%x', ${r(36, 65536)} + 1) ELSE ${ip10(37)} END`,
        port: `(${r(40, 60000)} + 1024)::INTEGER`,
        accepted: `${r(41, 4)} <> 0`,
      },
      core: {
        host: '"hostname"',
        event_code: '"program"',
        severity: `CASE WHEN "program" = 'sshd' AND NOT "accepted" THEN 'low' ELSE 'informational' END`,
        message: `CASE "program" WHEN 'sshd' THEN (CASE WHEN "accepted" THEN 'Accepted publickey for ' ELSE 'Failed password for ' END) || "ssh_user" || ' from ' || "rhost" || ' port ' || "port" || ' ssh2'
                   WHEN 'sudo' THEN "ssh_user" || ' : TTY=pts/0 ; PWD=/home/' || "ssh_user" || ' ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx'
                   WHEN 'CRON' THEN 'pam_unix(cron:session): session opened for user root'
                   ELSE 'New session of user ' || "ssh_user" END`,
        src_ip: `CASE WHEN "program" = 'sshd' THEN "rhost" END`,
        src_port: `CASE WHEN "program" = 'sshd' THEN "port" END`,
        user: '"ssh_user"',
        process: '"program"',
        action: `CASE "program" WHEN 'sshd' THEN 'ssh-login' WHEN 'sudo' THEN 'sudo' WHEN 'CRON' THEN 'cron' ELSE 'session' END`,
        outcome: `CASE WHEN "program" = 'sshd' THEN (CASE WHEN "accepted" THEN 'success' ELSE 'failure' END) END`,
        raw: `strftime(ts, '%b %d %H:%M:%S') || ' ' || "hostname" || ' ' || "program" || '[' || "pid" || ']: ' || __message`,
      },
    },
    {
      dataset: 'zeek.conn',
      format: 'zeek',
      share: 0.2,
      files: ['evidence/sensor01/conn.log'],
      fields: {
        uid: `'C' || substr(md5(CAST(i AS VARCHAR) || '${seed}'), 1, 17)`,
        'id.orig_h': ip10(51),
        'id.orig_p': `(${r(54, 60000)} + 1024)::INTEGER`,
        'id.resp_h': `CASE WHEN ${r(55, 3)} = 0 THEN ${ip10(56)} ELSE ${ipPub(59)} END`,
        'id.resp_p': `${pick(63, ['443', '443', '443', '80', '53', '445', '3389', '22'])}::INTEGER`,
        proto: pick(64, ['tcp', 'tcp', 'tcp', 'udp']),
        service: pick(65, ['ssl', 'http', 'dns', '-']),
        duration: `(${r(66, 100000)} / 1000.0)::DOUBLE`,
        orig_bytes: `${r(67, 50000)}::BIGINT`,
        resp_bytes: `${r(68, 500000)}::BIGINT`,
        conn_state: pick(69, ['SF', 'SF', 'SF', 'S0', 'REJ', 'RSTO']),
      },
      core: {
        host: `'sensor01'`,
        event_code: `'conn'`,
        message: `"proto" || ' ' || "id.orig_h" || ':' || "id.orig_p" || ' -> ' || "id.resp_h" || ':' || "id.resp_p" || ' ' || "service" || ' ' || "conn_state"`,
        src_ip: '"id.orig_h"',
        src_port: '"id.orig_p"',
        dst_ip: '"id.resp_h"',
        dst_port: '"id.resp_p"',
        protocol: '"proto"',
        action: `'connection'`,
      },
    },
    {
      dataset: 'suricata.alert',
      format: 'suricata',
      share: 0.05,
      files: ['evidence/sensor01/eve.json'],
      fields: {
        event_type: `'alert'`,
        src_ip: ipPub(71),
        src_port: `(${r(75, 60000)} + 1024)::INTEGER`,
        dest_ip: ip10(76),
        dest_port: `${pick(79, ['80', '443', '445', '22'])}::INTEGER`,
        proto: pick(80, ['TCP', 'TCP', 'UDP']),
        'alert.signature': pick(81, ['ET SCAN Suspicious inbound to MSSQL port 1433', 'ET POLICY curl User-Agent Outbound', 'ET INFO Observed DNS Query to .cloud TLD', 'SURICATA STREAM ESTABLISHED packet out of window', 'ET SCAN Nmap Scripting Engine User-Agent Detected']),
        'alert.signature_id': `(2000000 + ${r(82, 30000)})::INTEGER`,
        'alert.severity': `${pick(83, ['1', '2', '2', '3', '3'])}::INTEGER`,
        'alert.category': pick(84, ['Attempted Information Leak', 'Potential Corporate Privacy Violation', 'Misc activity', 'Generic Protocol Command Decode']),
      },
      core: {
        host: `'sensor01'`,
        event_code: '"event_type"',
        severity: `CASE "alert.severity" WHEN 1 THEN 'high' WHEN 2 THEN 'medium' ELSE 'low' END`,
        message: '"alert.signature"',
        src_ip: '"src_ip"',
        src_port: '"src_port"',
        dst_ip: '"dest_ip"',
        dst_port: '"dest_port"',
        protocol: 'lower("proto")',
        action: `'alert'`,
      },
    },
    {
      dataset: 'web.access',
      format: 'web-access',
      share: 0.15,
      files: ['evidence/web01/var/log/nginx/access.log', 'evidence/web01/var/log/nginx/access.log.1'],
      fields: {
        client_ip: `CASE WHEN ${r(91, 4)} = 0 THEN ${ip10(92)} ELSE ${ipPub(95)} END`,
        method: pick(99, ['GET', 'GET', 'GET', 'POST', 'HEAD']),
        uri: pick(100, ['/', '/index.html', '/login', '/api/v1/orders', '/static/app.js', '/static/style.css', '/wp-login.php', '/search?q=shoes', '/favicon.ico']),
        status: `${pick(101, ['200', '200', '200', '200', '304', '404', '302', '500'])}::INTEGER`,
        bytes: `${r(102, 90000)}::BIGINT`,
        user_agent: pick(103, ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/122.0', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) Safari/605.1.15', 'curl/8.5.0', 'python-requests/2.31.0', 'Googlebot/2.1']),
        referrer: pick(104, ['-', 'https://www.example.com/', 'https://shop.example.com/cart']),
      },
      core: {
        host: `'web01'`,
        event_code: 'CAST("status" AS VARCHAR)',
        severity: `CASE WHEN "status" >= 500 THEN 'low' ELSE NULL END`,
        message: `"method" || ' ' || "uri" || ' ' || "status"`,
        src_ip: '"client_ip"',
        dst_port: '443',
        protocol: `'http'`,
        action: `'http-request'`,
        outcome: `CASE WHEN "status" < 400 THEN 'success' ELSE 'failure' END`,
        raw: `"client_ip" || ' - - [' || strftime(ts, '%d/%b/%Y:%H:%M:%S +0000') || '] "' || "method" || ' ' || "uri" || ' HTTP/1.1" ' || "status" || ' ' || "bytes" || ' "' || "referrer" || '" "' || "user_agent" || '"'`,
      },
    },
  ];

  const T = SCENARIO_TRUTH;
  const storyAt = (minutes: number) => `(TIMESTAMP '${new Date(startMs + 30 * 3600e3).toISOString().replace('Z', '')}' + to_minutes(${minutes}) + to_microseconds(i * 1500000))`;
  // Story rows: field overrides per dataset, each a SELECT over range(count) with the same columns.
  const story: Record<string, { count: number; fileIndex: number; ts: string; fields: Record<string, string> }[]> = {
    'windows.security': [
      { count: T.bruteForce.failed, fileIndex: 0, ts: storyAt(0), fields: { EventID: '4625', Computer: `'${T.bruteForce.host}'`, TargetUserName: `'${T.bruteForce.user}'`, IpAddress: `'${T.bruteForce.ip}'`, LogonType: '3', Status: `'0xc000006a'`, WorkstationName: `'KALI'` } },
      { count: T.bruteForce.succeeded, fileIndex: 0, ts: storyAt(3), fields: { EventID: '4624', Computer: `'${T.bruteForce.host}'`, TargetUserName: `'${T.bruteForce.user}'`, IpAddress: `'${T.bruteForce.ip}'`, LogonType: '3', Status: 'NULL', WorkstationName: `'KALI'` } },
    ],
    sysmon: [
      {
        count: T.encodedPowershell.count,
        fileIndex: 0,
        ts: storyAt(20),
        fields: {
          EventID: '1',
          Computer: `'${T.encodedPowershell.host}'`,
          Image: `'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe'`,
          CommandLine: `'powershell.exe -nop -w hidden -enc ${T.encodedPowershell.marker}' || i`,
          ParentImage: `'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE'`,
          User: `'CORP\\bob'`,
        },
      },
    ],
    'zeek.conn': [{ count: T.c2.connections, fileIndex: 0, ts: storyAt(25), fields: { 'id.orig_h': `'10.1.7.77'`, 'id.resp_h': `'${T.c2.ip}'`, 'id.resp_p': String(T.c2.port), proto: `'tcp'`, service: `'ssl'`, conn_state: `'SF'` } }],
    'suricata.alert': [{ count: T.beaconAlert.count, fileIndex: 0, ts: storyAt(26), fields: { src_ip: `'10.1.7.77'`, dest_ip: `'${T.c2.ip}'`, dest_port: '443', 'alert.signature': `'${T.beaconAlert.signature}'`, 'alert.severity': '1', 'alert.category': `'A Network Trojan was detected'` } }],
    'linux.auth': [{ count: T.sshV6.failed, fileIndex: 0, ts: storyAt(-60), fields: { program: `'sshd'`, ssh_user: `'root'`, rhost: `'${T.sshV6.ip}'`, accepted: 'false' } }],
    'web.access': [
      { count: T.sqli.count, fileIndex: 0, ts: storyAt(-30), fields: { client_ip: `'${T.sqli.ip}'`, method: `'GET'`, uri: `'/search?q=1%27%20UNION%20SELECT%20username,password%20FROM%20users--'`, status: '500', user_agent: `'sqlmap/1.8'` } },
      { count: T.noTime, fileIndex: 1, ts: 'NULL::TIMESTAMP', fields: { client_ip: `'10.9.9.9'`, uri: `'/broken-clock'` } },
    ],
  };

  const existing = Number((await conn.runAndReadAll('SELECT count(*) FROM events')).getRows()[0]?.[0] ?? 0);
  if (existing > 0 && !opts.replace) throw new LoupeError('REFUSED', 'This case already has events; the demo scenario fills only an empty case');
  // Fresh tables: drop what a previous fill left, so a case can be refilled.
  await conn.run('DELETE FROM events; DELETE FROM sources; DELETE FROM source_evidence; DELETE FROM evidence;');
  for (const t of (await conn.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'src\\_%' ESCAPE '\\'")).getRows()) {
    await conn.run(`DROP TABLE ${q(String(t[0]))}`);
  }

  const totalShare = specs.reduce((s, d) => s + d.share, 0);
  const storyTotal = Object.values(story).flat().reduce((s, x) => s + x.count, 0);
  const background = Math.max(0, opts.events - storyTotal);
  let sourceId = 0;
  let assigned = 0;
  const cores = ['ts', 'dataset', 'host', 'event_code', 'severity', 'message', 'src_ip', 'src_port', 'dst_ip', 'dst_port', 'protocol', 'user', 'process', 'action', 'outcome', 'raw'];
  await conn.run(`CREATE OR REPLACE TEMP TABLE gen_events (source_id INTEGER, rid BIGINT, pos BIGINT, ts TIMESTAMP, dataset VARCHAR, host VARCHAR, event_code VARCHAR, severity VARCHAR, message VARCHAR,
    src_ip VARCHAR, src_port INTEGER, dst_ip VARCHAR, dst_port INTEGER, protocol VARCHAR, "user" VARCHAR, process VARCHAR, action VARCHAR, outcome VARCHAR, raw VARCHAR)`);

  for (const [di, spec] of specs.entries()) {
    const n = di === specs.length - 1 ? background - assigned : Math.round((background * spec.share) / totalShare);
    assigned += n;
    const firstSource = sourceId + 1;
    const fieldNames = Object.keys(spec.fields);
    const tsExpr = `(TIMESTAMP '${new Date(startMs).toISOString().replace('Z', '')}' + to_microseconds((hash(i, ${seed * 1000 + 900 + di}) % ${spanUs})::BIGINT))`;
    const bg = `SELECT ${firstSource} + (${r(998, spec.files.length)})::INTEGER AS src, ${tsExpr} AS ts, ${fieldNames.map((f) => `${spec.fields[f]} AS ${q(f)}`).join(', ')} FROM range(${n}) r(i)`;
    const storyParts = (story[spec.dataset] ?? []).map((s) => {
      const cols = fieldNames.map((f) => `${s.fields[f] ?? spec.fields[f]} AS ${q(f)}`).join(', ');
      return `SELECT ${firstSource + s.fileIndex} AS src, ${s.ts} AS ts, ${cols} FROM range(${s.count}) r(i)`;
    });
    await conn.run(`CREATE OR REPLACE TEMP TABLE gen_raw AS ${[bg, ...storyParts].join(' UNION ALL ')}`);
    // Each source file is in time order, as real logs are: rid follows time within a file.
    await conn.run(`CREATE OR REPLACE TEMP TABLE gen_ds AS SELECT row_number() OVER (PARTITION BY src ORDER BY ts NULLS LAST) - 1 AS rid, * FROM gen_raw`);
    for (const [fi, file] of spec.files.entries()) {
      sourceId++;
      const table = `src_${sourceId}`;
      const types = await conn.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE gen_ds) WHERE column_name NOT IN ('src', 'ts', 'rid')`);
      const defs = types.getRows().map((row) => `${q(String(row[0]))} ${String(row[1])}`);
      await conn.run(`CREATE TABLE ${q(table)} (rid BIGINT, ${defs.join(', ')})`);
      await conn.run(`INSERT INTO ${q(table)} SELECT rid, ${fieldNames.map(q).join(', ')} FROM gen_ds WHERE src = ${sourceId} ORDER BY rid`);
      const rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM gen_ds WHERE src = ${sourceId}`)).getRows()[0]?.[0] ?? 0);
      await conn.run(`INSERT INTO evidence (id, path, sha256, size, format, format_confidence, tz, status, seen, stored) VALUES (${sourceId}, '${file}', md5('${file}'), ${rows * 180}, '${spec.format}', 1.0, 'UTC', 'imported', ${rows}, ${rows})`);
      await conn.run(`INSERT INTO sources (id, evidence_id, table_name, format, rows) VALUES (${sourceId}, ${sourceId}, '${table}', '${spec.format}', ${rows})`);
      await conn.run(`INSERT INTO source_evidence (source_id, evidence_id, rows) VALUES (${sourceId}, ${sourceId}, ${rows})`);
      void fi;
    }
    const coreExpr = (col: string) => {
      if (col === 'ts') return 'ts';
      if (col === 'dataset') return `'${spec.dataset}'`;
      const e = spec.core[col];
      if (!e) return 'NULL';
      return e.replaceAll('__message', `(${spec.core.message ?? "''"})`);
    };
    await conn.run(`INSERT INTO gen_events SELECT src, rid, rid + 1, ${cores.map((c) => `${coreExpr(c)}`).join(', ')} FROM gen_ds`);
  }
  const order = opts.sorted === false ? 'source_id, rid' : 'ts NULLS LAST, source_id, rid';
  await conn.run(`INSERT INTO events SELECT row_number() OVER (ORDER BY ${order}) AS id, source_id AS evidence_id, source_id, rid, pos, ${cores.map((c) => (c === 'user' ? '"user"' : c)).join(', ')} FROM gen_events ORDER BY ${order}`);
  await conn.run('DROP TABLE gen_events; DROP TABLE gen_raw; DROP TABLE gen_ds;');
  await conn.run('CHECKPOINT');
  const total = Number((await conn.runAndReadAll('SELECT count(*) FROM events')).getRows()[0]?.[0] ?? 0);
  return { events: total, sources: sourceId };
}
