import { CORE_COLUMNS, SEVERITIES, type CoreFields, type Severity } from '@shared/events';
import type { JsonFamily } from '@shared/formats';
import { canonicalIp, parsePort } from './net';
import { daysInMonth, epochToIso, parseTimestamp } from './time';
import { emptyCore, type FieldValue, type Fields } from './types';
import { WINDOWS_ACTIONS, WINDOWS_CHANNEL_DATASETS, WINDOWS_OUTCOME_BY_KEYWORD, WINDOWS_OUTCOMES } from './windows';
import { ZEEK_ACTIONS, ZEEK_APP_PROTOCOLS } from './zeek-core';

/**
 * The normalised core of JSON records (Windows events as JSON, Sysmon,
 * Suricata EVE, Zeek JSON, anything else), written ONCE as data.
 *
 * The pipeline loads JSON with DuckDB's read_json and fills the events table
 * with SQL it generates from JSON_CORE_MAPPINGS; the JS fallback path (and the
 * Zeek TSV parser) evaluates the very same description with mapJsonRecord.
 * Every expression kind below has a direct SQL equivalent, noted beside it,
 * so the two paths cannot drift apart.
 *
 * Reading a source field (`field`): the record is flattened with dots
 * (`alert.signature`, `EventData.TargetUserName`, see flattenRecord); a name is
 * tried with each of the family's `prefixes` in order (Windows exports put
 * EventData at the top level or under `EventData.`); a value that is null,
 * `''` or `'-'` counts as absent (SQL: NULLIF(NULLIF(col, ''), '-')); numbers
 * and booleans are read as their text (`6`, `true`).
 */
export type MapExpr =
  /** First present value among the names. SQL: COALESCE over the existing columns, each NULLIF'd. `exclude` drops listed values (compared lower-case). */
  | { kind: 'field'; names: readonly string[]; exclude?: readonly string[] }
  /** A constant. SQL: a literal. */
  | { kind: 'const'; value: string | null }
  /** A per-source fact the pipeline knows (Zeek `path` from the file name or #path). SQL: a literal substituted per source. */
  | { kind: 'context'; name: 'path' }
  /** A core column computed earlier in column order. SQL: the same expression (or a CTE column). */
  | { kind: 'core'; column: keyof CoreFields }
  /** First non-null. SQL: COALESCE. */
  | { kind: 'first'; of: readonly MapExpr[] }
  /** Table lookup on the lower-cased text; a miss gives `otherwise` (null if absent). SQL: CASE lower(x) WHEN ... ELSE ... END. */
  | { kind: 'lookup'; of: MapExpr; table: Readonly<Record<string, string | null>>; otherwise?: MapExpr }
  /** Choose an expression by the lower-cased value of `on`. SQL: CASE lower(on) WHEN k THEN expr ... ELSE otherwise END. */
  | { kind: 'switch'; on: MapExpr; cases: Readonly<Record<string, MapExpr>>; otherwise?: MapExpr }
  /** Join the non-null parts with `sep`; null when every expression part is null. SQL: concat_ws, guarded by COALESCE(parts) IS NULL. */
  | { kind: 'concat'; parts: ReadonlyArray<MapExpr | string>; sep: string }
  /** Lower case. SQL: lower(). */
  | { kind: 'lower'; of: MapExpr }
  /**
   * Regular-expression replace; patterns stay in the RE2/JS common subset and `with`
   * refers to groups as `$1` (SQL: regexp_replace(x, pattern, with with `$n` -> `\n`, 'g' when global));
   * an empty result is null.
   */
  | { kind: 'replace'; of: MapExpr; pattern: string; with: string; global: boolean }
  /** Numeric bands [min, max] inclusive -> value; non-numbers give null. SQL: CASE WHEN TRY_CAST(x AS DOUBLE) BETWEEN min AND max THEN v ... END. */
  | { kind: 'band'; of: MapExpr; bands: ReadonlyArray<readonly [number, number, string]> };

/**
 * How each core column's text becomes its typed value, applied after the
 * expression (identical in SQL and JS):
 *   ts: ISO/RFC 3339 text (zone-less read as UTC), or epoch seconds/ms/us by magnitude
 *   src_ip, dst_ip: canonical address (net.ts) or null
 *   src_port, dst_port: integer 0..65535 or null
 *   severity: one of the Sigma levels or null
 *   outcome: success / failure or null
 *   everything else: text
 */
export const COLUMN_CONVERSIONS: Readonly<Record<keyof CoreFields, 'timestamp' | 'ip' | 'port' | 'severity' | 'outcome' | 'text'>> = {
  ts: 'timestamp',
  dataset: 'text',
  host: 'text',
  event_code: 'text',
  severity: 'severity',
  message: 'text',
  src_ip: 'ip',
  src_port: 'port',
  dst_ip: 'ip',
  dst_port: 'port',
  protocol: 'text',
  user: 'text',
  process: 'text',
  action: 'text',
  outcome: 'outcome',
};

export interface CoreMapping {
  /** What the mapping is for: a JSON family or a CSV flavor. */
  family: string;
  /** Tried in order before each field name ('' = the name itself). */
  prefixes: readonly string[];
  /**
   * Match names loosely: lower case, everything but letters and digits removed
   * (`Source IP` = `source_ip` = `sourceip`). For sources whose names nobody
   * standardised (generic JSON and CSV). The SQL generator resolves each
   * candidate against the source's column list the same way.
   */
  looseNames?: boolean;
  /** One expression per core column, evaluated in CORE_COLUMNS order (so `core` references see earlier columns). */
  columns: Readonly<Record<keyof CoreFields, MapExpr>>;
}

const f = (...names: string[]): MapExpr => ({ kind: 'field', names });
const c = (value: string | null): MapExpr => ({ kind: 'const', value });

// ------------------------------------------------------------------ Windows

const WIN_CHANNEL = f('Channel', 'channel', 'winlog.channel', 'System.Channel', 'Event.System.Channel');
const WIN_EVENT_ID = f('EventID', 'EventId', 'event_id', 'winlog.event_id', 'System.EventID', 'Event.System.EventID');

const WINDOWS: CoreMapping = {
  family: 'windows',
  prefixes: ['', 'EventData.', 'Event.EventData.', 'UserData.', 'winlog.event_data.'],
  columns: {
    ts: f(
      'TimeCreated',
      'TimeCreated.SystemTime',
      'System.TimeCreated.SystemTime',
      'Event.System.TimeCreated.SystemTime',
      'TimeGenerated',
      '@timestamp',
      'timestamp',
      'UtcTime',
      'EventTime',
    ),
    dataset: {
      kind: 'lookup',
      of: WIN_CHANNEL,
      table: WINDOWS_CHANNEL_DATASETS,
      // Other channels: windows.<short name>, e.g. Microsoft-Windows-TaskScheduler/Operational -> windows.taskscheduler
      otherwise: {
        kind: 'first',
        of: [
          {
            kind: 'concat',
            sep: '',
            parts: [
              'windows.',
              {
                kind: 'replace',
                global: true,
                pattern: '[^a-z0-9]+',
                with: '-',
                of: {
                  kind: 'lower',
                  of: { kind: 'replace', global: false, pattern: '^(Microsoft-Windows-)?([^/]*).*$', with: '$2', of: WIN_CHANNEL },
                },
              },
            ],
          },
          c('windows'),
        ],
      },
    },
    host: f('Hostname', 'Computer', 'computer_name', 'ComputerName', 'System.Computer', 'Event.System.Computer', 'host.name', 'host'),
    event_code: WIN_EVENT_ID,
    severity: {
      kind: 'first',
      of: [
        {
          kind: 'lookup',
          of: f('Level', 'EventLevel', 'System.Level', 'Event.System.Level', 'winlog.level'),
          table: {
            '0': 'informational',
            '1': 'critical',
            '2': 'high',
            '3': 'medium',
            '4': 'informational',
            '5': 'informational',
            critical: 'critical',
            error: 'high',
            warning: 'medium',
            information: 'informational',
            informational: 'informational',
            verbose: 'informational',
          },
        },
        {
          kind: 'lookup',
          of: f('Severity', 'EventLevelName', 'LevelName'),
          table: { critical: 'critical', error: 'high', warning: 'medium', info: 'informational', information: 'informational', verbose: 'informational' },
        },
      ],
    },
    message: {
      kind: 'first',
      of: [f('Message', 'RenderedMessage', 'message'), f('CommandLine', 'ScriptBlockText', 'Payload'), { kind: 'concat', sep: ' ', parts: [WIN_CHANNEL, WIN_EVENT_ID] }],
    },
    src_ip: f('IpAddress', 'SourceIp', 'SourceAddress', 'ClientAddress', 'SourceNetworkAddress', 'Source_Network_Address'),
    src_port: f('IpPort', 'SourcePort', 'ClientPort'),
    dst_ip: f('DestinationIp', 'DestAddress', 'DestinationAddress'),
    dst_port: f('DestinationPort', 'DestPort'),
    protocol: {
      kind: 'lookup',
      of: f('Protocol'),
      table: { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6', tcp: 'tcp', udp: 'udp', icmp: 'icmp' },
    },
    user: f('TargetUserName', 'SubjectUserName', 'User', 'UserName', 'AccountName', 'TargetUser', 'SourceUser'),
    process: f('Image', 'NewProcessName', 'ProcessName', 'SourceImage', 'Application', 'HostApplication'),
    action: {
      kind: 'lookup',
      of: { kind: 'concat', sep: ':', parts: [{ kind: 'core', column: 'dataset' }, WIN_EVENT_ID] },
      table: WINDOWS_ACTIONS,
    },
    outcome: {
      kind: 'first',
      of: [
        { kind: 'lookup', of: { kind: 'concat', sep: ':', parts: [{ kind: 'core', column: 'dataset' }, WIN_EVENT_ID] }, table: WINDOWS_OUTCOMES },
        { kind: 'lookup', of: f('Keywords', 'EventType', 'KeywordsDisplayNames'), table: WINDOWS_OUTCOME_BY_KEYWORD },
      ],
    },
  },
};

// ------------------------------------------------------------------ Suricata

const SURI_TYPE = f('event_type');

const SURICATA: CoreMapping = {
  family: 'suricata',
  prefixes: [''],
  columns: {
    ts: f('timestamp', '@timestamp'),
    dataset: { kind: 'first', of: [{ kind: 'concat', sep: '', parts: ['suricata.', { kind: 'lower', of: SURI_TYPE }] }, c('suricata')] },
    host: f('host', 'sensor_name', 'host.name'),
    event_code: SURI_TYPE,
    severity: { kind: 'lookup', of: f('alert.severity'), table: { '1': 'high', '2': 'medium', '3': 'low', '4': 'informational' } },
    message: {
      kind: 'first',
      of: [
        f('alert.signature'),
        { kind: 'concat', sep: ' ', parts: [f('http.http_method'), { kind: 'concat', sep: '', parts: [f('http.hostname'), f('http.url')] }, f('http.status')] },
        { kind: 'concat', sep: ' ', parts: [f('dns.rrname', 'dns.query.0.rrname'), f('dns.rrtype', 'dns.query.0.rrtype'), f('dns.rcode')] },
        f('tls.sni', 'tls.subject'),
        f('fileinfo.filename'),
        { kind: 'concat', sep: ' ', parts: [f('smb.command'), f('smb.filename', 'smb.share')] },
        f('anomaly.event', 'anomaly.type'),
        { kind: 'concat', sep: ' ', parts: [f('proto'), f('app_proto'), f('flow.state')] },
      ],
    },
    src_ip: f('src_ip'),
    src_port: f('src_port'),
    dst_ip: f('dest_ip'),
    dst_port: f('dest_port'),
    protocol: { kind: 'lower', of: { kind: 'first', of: [{ kind: 'field', names: ['app_proto'], exclude: ['failed', 'unknown'] }, f('proto')] } },
    user: f('smb.ntlmssp.user', 'krb5.cname', 'ftp.user'),
    process: c('suricata'),
    action: {
      kind: 'lookup',
      of: SURI_TYPE,
      table: { alert: 'alert', dns: 'dns-query', http: 'http-request', tls: 'tls-handshake', flow: 'flow', netflow: 'flow', fileinfo: 'file-transfer', anomaly: 'anomaly', drop: 'drop' },
      otherwise: { kind: 'lower', of: SURI_TYPE },
    },
    // An alert's outcome is the attack's: failed when the IPS blocked it. An
    // HTTP status only says something about http and fileinfo records.
    outcome: {
      kind: 'switch',
      on: SURI_TYPE,
      cases: {
        alert: { kind: 'lookup', of: f('alert.action'), table: { blocked: 'failure' } },
        drop: c('failure'),
        http: { kind: 'band', of: f('http.status'), bands: [[100, 399, 'success'], [400, 599, 'failure']] },
        fileinfo: { kind: 'band', of: f('http.status'), bands: [[100, 399, 'success'], [400, 599, 'failure']] },
      },
    },
  },
};

// ------------------------------------------------------------------ Zeek

const ZEEK_PATH: MapExpr = { kind: 'first', of: [f('_path', '@stream'), { kind: 'context', name: 'path' }] };
const ZP: MapExpr = { kind: 'lower', of: ZEEK_PATH };

const ZEEK: CoreMapping = {
  family: 'zeek',
  prefixes: [''],
  columns: {
    ts: f('ts', '@timestamp'),
    dataset: { kind: 'first', of: [{ kind: 'concat', sep: '', parts: ['zeek.', ZP] }, c('zeek')] },
    host: f('_system_name', '@system'),
    event_code: ZP,
    severity: { kind: 'lookup', of: ZP, table: { notice: 'medium', weird: 'informational', intel: 'high', signatures: 'medium' } },
    message: {
      kind: 'switch',
      on: ZP,
      cases: {
        conn: { kind: 'concat', sep: ' ', parts: [f('proto'), f('service'), f('conn_state'), f('history')] },
        dns: { kind: 'concat', sep: ' ', parts: [f('query'), f('qtype_name'), f('rcode_name'), f('answers')] },
        http: {
          kind: 'concat',
          sep: ' ',
          parts: [f('method'), { kind: 'concat', sep: '', parts: [f('host'), f('uri')] }, f('status_code'), f('user_agent')],
        },
        ssl: { kind: 'concat', sep: ' ', parts: [f('server_name'), f('version'), f('validation_status')] },
        ssh: { kind: 'concat', sep: ' ', parts: [f('client'), '->', f('server'), f('auth_success')] },
        notice: { kind: 'concat', sep: ': ', parts: [f('note'), f('msg')] },
        weird: { kind: 'concat', sep: ' ', parts: [f('name'), f('addl')] },
        files: { kind: 'concat', sep: ' ', parts: [f('mime_type'), f('filename'), f('source')] },
        x509: f('certificate.subject', 'certificate_subject'),
        smtp: { kind: 'concat', sep: ' ', parts: [f('mailfrom'), '->', f('rcptto'), f('subject')] },
        ftp: { kind: 'concat', sep: ' ', parts: [f('command'), f('arg'), f('reply_code'), f('reply_msg')] },
        kerberos: { kind: 'concat', sep: ' ', parts: [f('request_type'), f('client'), f('service'), f('error_msg')] },
        ntlm: { kind: 'concat', sep: ' ', parts: [{ kind: 'concat', sep: '\\', parts: [f('domainname'), f('username')] }, f('hostname'), f('success')] },
        rdp: { kind: 'concat', sep: ' ', parts: [f('cookie'), f('result'), f('security_protocol')] },
        dce_rpc: { kind: 'concat', sep: ' ', parts: [f('endpoint'), f('operation')] },
        smb_mapping: { kind: 'concat', sep: ' ', parts: [f('path'), f('share_type')] },
        smb_files: { kind: 'concat', sep: ' ', parts: [f('action'), f('path'), f('name')] },
        software: { kind: 'concat', sep: ' ', parts: [f('software_type'), f('unparsed_version', 'name')] },
        syslog: f('message'),
        dpd: { kind: 'concat', sep: ' ', parts: [f('analyzer'), f('failure_reason')] },
        pe: { kind: 'concat', sep: ' ', parts: [f('machine'), f('os'), f('subsystem')] },
      },
      otherwise: f('msg', 'message', 'name'),
    },
    src_ip: f('id.orig_h', 'id_orig_h'),
    src_port: f('id.orig_p', 'id_orig_p'),
    dst_ip: f('id.resp_h', 'id_resp_h'),
    dst_port: f('id.resp_p', 'id_resp_p'),
    protocol: {
      kind: 'lookup',
      of: ZP,
      table: ZEEK_APP_PROTOCOLS,
      otherwise: { kind: 'lower', of: f('proto') },
    },
    user: {
      kind: 'switch',
      on: ZP,
      cases: {
        http: f('username'),
        ftp: f('user'),
        kerberos: f('client'),
        ntlm: f('username'),
        rdp: { kind: 'replace', of: f('cookie'), pattern: '^mstshash=', with: '', global: false },
        radius: f('username'),
        socks: f('user'),
        smtp: f('mailfrom'),
      },
    },
    process: c('zeek'),
    action: { kind: 'lookup', of: ZP, table: ZEEK_ACTIONS },
    outcome: {
      kind: 'switch',
      on: ZP,
      cases: {
        ssh: { kind: 'lookup', of: f('auth_success'), table: { true: 'success', t: 'success', false: 'failure', f: 'failure' } },
        kerberos: { kind: 'lookup', of: f('success'), table: { true: 'success', t: 'success', false: 'failure', f: 'failure' } },
        ntlm: { kind: 'lookup', of: f('success'), table: { true: 'success', t: 'success', false: 'failure', f: 'failure' } },
        ssl: { kind: 'lookup', of: f('established'), table: { true: 'success', t: 'success', false: 'failure', f: 'failure' } },
        http: { kind: 'band', of: f('status_code'), bands: [[100, 399, 'success'], [400, 599, 'failure']] },
        ftp: { kind: 'band', of: f('reply_code'), bands: [[100, 399, 'success'], [400, 599, 'failure']] },
        dns: { kind: 'lookup', of: f('rcode_name'), table: { noerror: 'success', nxdomain: 'failure', servfail: 'failure', refused: 'failure' } },
        conn: { kind: 'lookup', of: f('conn_state'), table: { sf: 'success', rej: 'failure', s0: 'failure' } },
      },
    },
  },
};

// ------------------------------------------------------------------ systemd journal

/**
 * `journalctl -o json` (and `-o json-seq` lines): every value is text, times in
 * microseconds since the epoch, the syslog priority and facility as numbers.
 * Facility 4 (auth) and 10 (authpriv) are the auth log, as in syslog; the
 * identifier (sshd, sudo, ...) is the event code, which is what Sigma's
 * linux service rules select on.
 */
const JOURNALD: CoreMapping = {
  family: 'journald',
  prefixes: [''],
  columns: {
    ts: f('_SOURCE_REALTIME_TIMESTAMP', '__REALTIME_TIMESTAMP'),
    dataset: { kind: 'lookup', of: f('SYSLOG_FACILITY'), table: { '4': 'linux.auth', '10': 'linux.auth' }, otherwise: c('linux.syslog') },
    host: f('_HOSTNAME'),
    event_code: f('SYSLOG_IDENTIFIER', '_COMM'),
    severity: {
      kind: 'lookup',
      of: f('PRIORITY'),
      table: { '0': 'critical', '1': 'critical', '2': 'critical', '3': 'high', '4': 'medium', '5': 'low', '6': 'informational', '7': 'informational' },
    },
    message: f('MESSAGE'),
    src_ip: c(null),
    src_port: c(null),
    dst_ip: c(null),
    dst_port: c(null),
    protocol: c(null),
    user: c(null),
    process: f('_EXE', '_COMM', 'SYSLOG_IDENTIFIER'),
    action: c(null),
    outcome: c(null),
  },
};

// ------------------------------------------------------------------ AWS CloudTrail

/**
 * CloudTrail records (the elements of a log file's `Records`, json-unwrap.ts):
 * the account as host, the API call as event code and action, the caller's
 * address (a service name such as `iam.amazonaws.com` is no address: null),
 * the identity's name, else its ARN or principal. A call failed when it has
 * an errorCode, and a console sign-in says so in responseElements.ConsoleLogin.
 */
const CLOUDTRAIL: CoreMapping = {
  family: 'cloudtrail',
  prefixes: [''],
  columns: {
    ts: f('eventTime'),
    dataset: c('aws.cloudtrail'),
    host: f('recipientAccountId', 'userIdentity.accountId'),
    event_code: f('eventName'),
    severity: c(null),
    message: { kind: 'concat', sep: ' ', parts: [f('eventSource'), f('eventName'), f('errorCode'), f('errorMessage')] },
    src_ip: f('sourceIPAddress'),
    src_port: c(null),
    dst_ip: c(null),
    dst_port: c(null),
    protocol: c(null),
    user: f('userIdentity.userName', 'userIdentity.sessionContext.sessionIssuer.userName', 'userIdentity.arn', 'userIdentity.principalId', 'userIdentity.invokedBy'),
    process: f('eventSource'),
    action: { kind: 'lower', of: f('eventName') },
    outcome: {
      kind: 'first',
      of: [
        { kind: 'lookup', of: f('responseElements.ConsoleLogin'), table: { success: 'success', failure: 'failure' } },
        { kind: 'replace', of: f('errorCode'), pattern: '^.+$', with: 'failure', global: false },
        c('success'),
      ],
    },
  },
};

// ------------------------------------------------------------------ generic JSON

const GENERIC: CoreMapping = {
  family: 'generic',
  prefixes: [''],
  looseNames: true,
  columns: {
    ts: f('@timestamp', 'timestamp', 'time', 'ts', 'datetime', 'date', 'eventTime', 'EventTime', 'TimeGenerated', 'event.created', 'created_at', 'start_time'),
    dataset: c('json'),
    host: f('host', 'hostname', 'Hostname', 'Computer', 'computer_name', 'host.name', 'HostName', 'sensor'),
    event_code: f('event_id', 'eventid', 'eventId', 'EventID', 'event.code', 'event_type', 'eventName', 'type'),
    severity: {
      kind: 'lookup',
      of: f('severity', 'level', 'log.level', 'SeverityLevel', 'event.severity', 'priority'),
      table: {
        debug: 'informational',
        info: 'informational',
        informational: 'informational',
        information: 'informational',
        notice: 'low',
        low: 'low',
        warn: 'medium',
        warning: 'medium',
        medium: 'medium',
        err: 'high',
        error: 'high',
        high: 'high',
        crit: 'critical',
        critical: 'critical',
        alert: 'critical',
        emerg: 'critical',
        fatal: 'critical',
      },
    },
    message: f('message', 'msg', 'Message', 'SyslogMessage', 'log', 'description', 'event.original'),
    src_ip: f('src_ip', 'source_ip', 'srcip', 'src', 'SourceIp', 'source.ip', 'client_ip', 'clientip', 'remote_addr', 'ip'),
    src_port: f('src_port', 'source_port', 'srcport', 'spt', 'SourcePort', 'source.port'),
    dst_ip: f('dst_ip', 'dest_ip', 'destination_ip', 'dstip', 'dst', 'DestinationIp', 'destination.ip'),
    dst_port: f('dst_port', 'dest_port', 'destination_port', 'dstport', 'dpt', 'DestinationPort', 'destination.port'),
    protocol: { kind: 'lower', of: f('protocol', 'proto', 'Protocol', 'network.transport') },
    user: f('user', 'username', 'user_name', 'userName', 'UserName', 'usr', 'account', 'user.name', 'AccountName'),
    process: f('process', 'process_name', 'ProcessName', 'Image', 'exe', 'program', 'process.name', 'app'),
    action: { kind: 'lower', of: f('action', 'event.action', 'eventName', 'eventid') },
    outcome: {
      kind: 'lookup',
      of: f('outcome', 'event.outcome', 'result', 'status'),
      table: { success: 'success', succeeded: 'success', ok: 'success', failure: 'failure', failed: 'failure', fail: 'failure', denied: 'failure', error: 'failure' },
    },
  },
};

/** The one definition of the JSON core mapping, per family. */
export const JSON_CORE_MAPPINGS: Readonly<Record<JsonFamily, CoreMapping>> = {
  windows: WINDOWS,
  suricata: SURICATA,
  zeek: ZEEK,
  journald: JOURNALD,
  cloudtrail: CLOUDTRAIL,
  generic: GENERIC,
};

/**
 * Family of one record, by the fields only that family writes. The sniffer
 * applies it to a file's first records; `mapJsonRecord(obj, 'auto')` per record.
 * (SQL: the pipeline decides per file from sniff's answer.)
 */
export function detectJsonFamily(obj: Readonly<Record<string, unknown>>): JsonFamily {
  const has = (k: string): boolean => obj[k] !== undefined && obj[k] !== null;
  if (has('event_type') && (has('flow_id') || has('timestamp')) && (has('src_ip') || has('dest_ip') || has('in_iface') || has('stats'))) return 'suricata';
  if ((has('_path') || has('@stream')) && (has('ts') || has('uid'))) return 'zeek';
  if (has('ts') && (has('uid') || has('fuid') || has('id')) && (has('id.orig_h') || has('id_orig_h') || isZeekId(obj.id))) return 'zeek';
  if ((has('EventID') || has('EventId') || has('event_id')) && (has('Channel') || has('channel') || has('ProviderGuid') || has('SourceName') || has('Provider') || has('Computer') || has('Hostname'))) {
    return 'windows';
  }
  if (has('__REALTIME_TIMESTAMP') && (has('MESSAGE') || has('_HOSTNAME') || has('__CURSOR'))) return 'journald';
  if (has('eventSource') && has('eventName') && has('eventTime') && (has('userIdentity') || has('awsRegion') || has('userIdentity.type'))) return 'cloudtrail';
  const winlog = obj.winlog;
  if (winlog && typeof winlog === 'object' && 'event_id' in winlog) return 'windows';
  if (has('winlog.event_id')) return 'windows';
  return 'generic';
}

function isZeekId(v: unknown): boolean {
  return typeof v === 'object' && v !== null && 'orig_h' in v;
}

// ------------------------------------------------------------------ evaluation

export interface MapContext {
  /** Zeek log path known from the file (#path, file name) for records without `_path`. */
  path?: string | null;
  /** Zone of zone-less times (IANA name or +hh:mm), as the analyst stated it at import; UTC when absent. */
  tz?: string | null;
  /** Told the text of a time that is there but does not parse (the record keeps ts NULL; the caller warns). */
  onBadTime?: (text: string) => void;
}

export type Getter = (name: string) => FieldValue | undefined;
/** A record as the compiled mapping reads it: by name, or (compiled against a column list) as a row of values in column order. */
type Source = Getter | readonly FieldValue[];
type Compiled = (src: Source, ctx: MapContext, core: CoreFields) => string | null;

function textOf(v: FieldValue | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v === '' || v === '-' ? null : v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  return v ? 'true' : 'false';
}

/** `Source IP` -> `sourceip`: the loose-name key (see CoreMapping.looseNames). */
export function looseName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

const regexCache = new Map<string, RegExp>();
function regex(pattern: string, global: boolean): RegExp {
  const key = `${global ? 'g' : ''}/${pattern}`;
  let r = regexCache.get(key);
  if (!r) {
    r = new RegExp(pattern, global ? 'g' : '');
    regexCache.set(key, r);
  }
  return r;
}

function compile(e: MapExpr, prefixes: readonly string[], loose: boolean, known: ReadonlyMap<string, number> | null = null): Compiled {
  switch (e.kind) {
    case 'field': {
      // All candidate keys in lookup order, computed once.
      const keys: string[] = [];
      for (const n of e.names) {
        for (const p of prefixes) {
          const k = loose ? looseName(p + n) : p + n;
          // Against a known column list (a TSV header), names it lacks are dropped here, once.
          if (known === null || known.has(k)) keys.push(k);
        }
      }
      if (keys.length === 0) return () => null;
      const exclude = e.exclude ? new Set(e.exclude) : null;
      if (known !== null) {
        // Row mode: each name is a column index, read without a property lookup.
        const idx = keys.map((k) => known.get(k) as number);
        return (src) => {
          const row = src as readonly FieldValue[];
          for (let i = 0; i < idx.length; i++) {
            const t = textOf(row[idx[i] as number]);
            if (t !== null && (exclude === null || !exclude.has(t.toLowerCase()))) return t;
          }
          return null;
        };
      }
      return (src) => {
        const get = src as Getter;
        for (let i = 0; i < keys.length; i++) {
          const t = textOf(get(keys[i] as string));
          if (t !== null && (exclude === null || !exclude.has(t.toLowerCase()))) return t;
        }
        return null;
      };
    }
    case 'const': {
      const v = e.value;
      return () => v;
    }
    case 'context': {
      return (_g, ctx) => (ctx.path ? ctx.path : null);
    }
    case 'core': {
      const col = e.column;
      return (_g, _c, core) => {
        const v = core[col];
        return v === null || v === undefined ? null : String(v);
      };
    }
    case 'first': {
      const parts = e.of.map((x) => compile(x, prefixes, loose, known));
      return (g, ctx, core) => {
        for (const p of parts) {
          const v = p(g, ctx, core);
          if (v !== null) return v;
        }
        return null;
      };
    }
    case 'lookup': {
      const of = compile(e.of, prefixes, loose, known);
      const table = e.table;
      const otherwise = e.otherwise ? compile(e.otherwise, prefixes, loose, known) : null;
      return (g, ctx, core) => {
        const v = of(g, ctx, core);
        if (v !== null) {
          const k = v.toLowerCase();
          if (Object.prototype.hasOwnProperty.call(table, k)) return table[k] ?? null;
        }
        return otherwise ? otherwise(g, ctx, core) : null;
      };
    }
    case 'switch': {
      const on = compile(e.on, prefixes, loose, known);
      const cases = new Map<string, Compiled>();
      for (const [k, x] of Object.entries(e.cases)) cases.set(k, compile(x, prefixes, loose, known));
      const otherwise = e.otherwise ? compile(e.otherwise, prefixes, loose, known) : null;
      return (g, ctx, core) => {
        const v = on(g, ctx, core);
        const branch = v === null ? undefined : cases.get(v.toLowerCase());
        if (branch) return branch(g, ctx, core);
        return otherwise ? otherwise(g, ctx, core) : null;
      };
    }
    case 'concat': {
      const parts = e.parts.map((p) => (typeof p === 'string' ? p : compile(p, prefixes, loose, known)));
      const sep = e.sep;
      return (g, ctx, core) => {
        let out: string | null = null;
        let any = false;
        for (const p of parts) {
          const v = typeof p === 'string' ? p : p(g, ctx, core);
          if (typeof p !== 'string' && v !== null) any = true;
          if (v === null) continue;
          out = out === null ? v : out + sep + v;
        }
        return any ? out : null;
      };
    }
    case 'lower': {
      const of = compile(e.of, prefixes, loose, known);
      return (g, ctx, core) => {
        const v = of(g, ctx, core);
        return v === null ? null : v.toLowerCase();
      };
    }
    case 'replace': {
      const of = compile(e.of, prefixes, loose, known);
      const re = regex(e.pattern, e.global);
      const w = e.with;
      return (g, ctx, core) => {
        const v = of(g, ctx, core);
        if (v === null) return null;
        re.lastIndex = 0;
        const r = v.replace(re, w);
        return r === '' ? null : r;
      };
    }
    case 'band': {
      const of = compile(e.of, prefixes, loose, known);
      const bands = e.bands;
      return (g, ctx, core) => {
        const v = of(g, ctx, core);
        if (v === null) return null;
        const n = Number(v);
        if (!Number.isFinite(n)) return null;
        for (const [lo, hi, out] of bands) if (n >= lo && n <= hi) return out;
        return null;
      };
    }
  }
}

const SEVERITY_SET = new Set<string>(SEVERITIES);

const CANONICAL_ISO = /^\d{4}-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{3}(?:\d{3})?Z$/;

function isPlainValid(v: string, m: RegExpExecArray): boolean {
  const month = Number(m[1]);
  const day = Number(m[2]);
  if (month < 1 || month > 12 || day < 1 || Number(m[3]) > 23 || Number(m[4]) > 59 || Number(m[5]) > 59) return false;
  return day <= 28 || day <= daysInMonth(Number(v.slice(0, 4)), month);
}

/** Text -> ISO: RFC 3339 / ISO (zone-less read in `tz`, default UTC) or an epoch number by magnitude. */
function toTimestamp(v: FieldValue | string | null, tz: string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return epochToIso(v, 'auto');
  if (typeof v !== 'string') return null;
  // Already our canonical form (Zeek TSV rows arrive converted): keep it when plainly valid.
  const m = v.length <= 27 ? CANONICAL_ISO.exec(v) : null;
  if (m && isPlainValid(v, m)) {
    // Same text as isoFromMs writes: microseconds only when they are not zero.
    return v.length === 27 && v.endsWith('000Z') ? `${v.slice(0, 23)}Z` : v;
  }
  return parseTimestamp(v, { allowEpoch: true, ...(tz ? { tz } : {}) });
}

export type CoreMapper = (get: Getter, ctx: MapContext) => CoreFields;
/** A mapping compiled against a fixed column list: reads a row of values in that order. */
export type RowCoreMapper = (row: readonly FieldValue[], ctx: MapContext) => CoreFields;

const COLUMN_ORDER: ReadonlyArray<keyof CoreFields> = CORE_COLUMNS;

function buildMapper(cols: ReadonlyArray<readonly [keyof CoreFields, Compiled, string]>): (src: Source, ctx: MapContext) => CoreFields {
  return (src, ctx) => {
    const core = emptyCore('');
    for (const [col, fn, conv] of cols) {
      const v = fn(src, ctx, core);
      switch (conv) {
        case 'timestamp':
          core.ts = toTimestamp(v, ctx.tz);
          if (core.ts === null && v !== null && ctx.onBadTime) ctx.onBadTime(v);
          break;
        case 'ip':
          (core as unknown as Record<string, unknown>)[col] = canonicalIp(v);
          break;
        case 'port':
          (core as unknown as Record<string, unknown>)[col] = parsePort(v);
          break;
        case 'severity':
          core.severity = v !== null && SEVERITY_SET.has(v) ? (v as Severity) : null;
          break;
        case 'outcome':
          core.outcome = v === 'success' || v === 'failure' ? v : null;
          break;
        default:
          (core as unknown as Record<string, unknown>)[col] = v;
      }
    }
    return core;
  };
}

/** Compiles a mapping into a fast function that reads records by name (closures built once per family). */
export function compileCoreMapping(m: CoreMapping): CoreMapper {
  const loose = m.looseNames === true;
  const cols = COLUMN_ORDER.map((col) => [col, compile(m.columns[col], m.prefixes, loose), COLUMN_CONVERSIONS[col]] as const);
  return buildMapper(cols);
}

/**
 * Compiles a mapping against a source's fixed column list (a Zeek TSV or CSV
 * header): candidate names the source lacks are resolved away once, as the SQL
 * generator does, and the rest become column indices, so a row is read by
 * position (a keyed property lookup per candidate was most of the mapping's cost).
 */
export function compileRowMapping(m: CoreMapping, columns: readonly string[]): RowCoreMapper {
  const loose = m.looseNames === true;
  const known = new Map<string, number>();
  columns.forEach((c, i) => {
    const k = loose ? looseName(c) : c;
    if (!known.has(k)) known.set(k, i);
  });
  const cols = COLUMN_ORDER.map((col) => [col, compile(m.columns[col], m.prefixes, loose, known), COLUMN_CONVERSIONS[col]] as const);
  return buildMapper(cols);
}

const compiled = new Map<JsonFamily, CoreMapper>();

export function coreMapperFor(family: JsonFamily): CoreMapper {
  let m = compiled.get(family);
  if (!m) {
    m = compileCoreMapping(JSON_CORE_MAPPINGS[family]);
    compiled.set(family, m);
  }
  return m;
}

/** Getter by loose names over a record's flattened keys (first key wins on a clash). */
export function looseGetter(obj: Readonly<Record<string, unknown>>): Getter {
  const flat = flattenRecord(obj);
  const index = new Map<string, FieldValue>();
  for (const [k, v] of Object.entries(flat)) {
    const lk = looseName(k);
    if (!index.has(lk)) index.set(lk, v);
  }
  return (name) => index.get(name);
}

/** Getter over a flat record (dotted keys), falling back to walking nested objects. */
export function recordGetter(obj: Readonly<Record<string, unknown>>): Getter {
  return (name) => {
    const direct = obj[name];
    if (direct !== undefined) return scalar(direct);
    if (name.indexOf('.') < 0) return undefined;
    let cur: unknown = obj;
    for (const part of name.split('.')) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[part];
    }
    return cur === undefined ? undefined : scalar(cur);
  };
}

function scalar(v: unknown): FieldValue {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v.toString();
  try {
    return JSON.stringify(v);
  } catch {
    return null;
  }
}

export type JsonHint = JsonFamily | 'auto' | { family: JsonFamily | 'auto'; path?: string | null };

/**
 * The core of one JSON record (nested or already flattened). `hint` names the
 * family (from sniff) or 'auto' to detect it per record; a Zeek path can be
 * given for records without `_path` (TSV rows, rita's truncated JSON).
 */
export function mapJsonRecord(obj: Readonly<Record<string, unknown>>, hint: JsonHint = 'auto'): CoreFields {
  const h = typeof hint === 'string' ? { family: hint, path: null } : hint;
  const family = h.family === 'auto' ? detectJsonFamily(obj) : h.family;
  const getter = JSON_CORE_MAPPINGS[family].looseNames ? looseGetter(obj) : recordGetter(obj);
  return coreMapperFor(family)(getter, { path: h.path ?? null });
}

/** The same, for a flat Fields record (the Zeek TSV parser's rows). */
export function mapFlatRecord(fields: Fields, family: JsonFamily, ctx: MapContext = {}): CoreFields {
  const get: Getter = JSON_CORE_MAPPINGS[family].looseNames ? looseGetter(fields) : (name) => fields[name];
  return coreMapperFor(family)(get, ctx);
}

// ------------------------------------------------------------------ flattening

const MAX_DEPTH = 16;
const MAX_KEYS = 10_000;

/**
 * Flattens a parsed JSON record the way field tables store it: nested objects
 * joined with dots (`alert.signature`), arrays kept as JSON text, scalars as
 * they are. A Windows `EventData` given as a JSON string (Azure Sentinel
 * exports) or as `<EventData><Data Name="X">v</Data>...` XML text is expanded
 * to `EventData.X` beside the original, so the mapping and Sigma rules see the
 * same names as in other exports. Bounded: depth 16, 10,000 keys.
 */
export function flattenRecord(obj: Readonly<Record<string, unknown>>): Fields {
  const out: Fields = {};
  let count = 0;
  const walk = (o: Readonly<Record<string, unknown>>, prefix: string, depth: number): void => {
    for (const k of Object.keys(o)) {
      if (count >= MAX_KEYS) return;
      const v = o[k];
      const key = prefix + k;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < MAX_DEPTH) {
        walk(v as Record<string, unknown>, `${key}.`, depth + 1);
        continue;
      }
      out[key] = scalar(v);
      count++;
    }
  };
  walk(obj, '', 0);
  const ed = out.EventData;
  if (typeof ed === 'string' && ed.length > 1) {
    for (const [k, v] of Object.entries(expandEventData(ed))) {
      if (count >= MAX_KEYS) break;
      const key = `EventData.${k}`;
      if (!(key in out)) {
        out[key] = v;
        count++;
      }
    }
  }
  return out;
}

function decodeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});/g, (m, e: string) => {
    switch (e) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const code = e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return code <= 0x10ffff ? String.fromCodePoint(code) : m;
      }
    }
  });
}

/** EventData text (JSON object or Windows XML) -> name/value pairs; empty when neither. */
export function expandEventData(text: string): Record<string, FieldValue> {
  const t = text.trim();
  if (t.startsWith('{')) {
    try {
      const o = JSON.parse(t) as unknown;
      if (o && typeof o === 'object' && !Array.isArray(o)) {
        const out: Record<string, FieldValue> = {};
        for (const [k, v] of Object.entries(o as Record<string, unknown>)) out[k] = scalar(v);
        return out;
      }
    } catch {
      return {};
    }
  }
  const out: Record<string, FieldValue> = {};
  if (t.startsWith('<')) {
    const re = /<Data Name=["']([^"']{1,128})["']\s*(?:\/>|>([^<]*)<\/Data>)/g;
    let m: RegExpExecArray | null;
    let n = 0;
    while ((m = re.exec(t)) !== null && n++ < MAX_KEYS) out[m[1] as string] = m[2] === undefined ? null : decodeXml(m[2]);
  }
  return out;
}
