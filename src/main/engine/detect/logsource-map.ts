import type { SigmaLogsource } from './types';

/**
 * Which rows a Sigma logsource means, as data in one place so the parser
 * engineers can align their field names with it.
 *
 * A logsource resolves to one or more variants. Each variant selects rows
 * (Windows: by the `Channel`/`EventID` columns of the field table; other
 * products: by events.dataset, optionally events.event_code) and may rename
 * Sigma's field names to the columns that source really has (Security 4688
 * calls Sysmon's Image "NewProcessName"). A Sigma field name maps to a list
 * of candidate columns, tried in order; the first the source has wins.
 * Field names not listed resolve to a column of the same name (exact, then
 * case-insensitive, then with dots and underscores swapped: Zeek JSON
 * exported by some tools writes id.orig_h as id_orig_h).
 */

export interface LogsourceVariant {
  /** For people: "Sysmon 1", "Security 4688", "dataset zeek.conn". */
  label: string;
  /** Windows field tables: Channel values (case-insensitive); empty = any channel. */
  channels?: string[];
  /** Windows: EventID values; absent = any. */
  eventIds?: number[];
  /** Other products: events.dataset values. */
  datasets?: string[];
  /** Optional events.event_code values (syslog program names ...), case-insensitive. */
  eventCodes?: string[];
  /** Sigma field -> candidate column names. */
  fields?: Record<string, string[]>;
  /**
   * No dataset discriminates these rows (cloud and application logs arrive as
   * generic JSON/CSV): the rule applies to a generic source only when that
   * source carries every field the rule tests.
   */
  byFields?: boolean;
  /** Every event of every source (Loupe's `product: loupe` rules, which test `loupe.` fields). */
  allEvents?: boolean;
}

const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
const SECURITY = 'Security';
const PS_OPERATIONAL = 'Microsoft-Windows-PowerShell/Operational';
const PS_CLASSIC = 'Windows PowerShell';

/** Windows `service` -> event log channel names. */
export const WINDOWS_SERVICES: Record<string, string[]> = {
  security: [SECURITY],
  system: ['System'],
  application: ['Application'],
  sysmon: [SYSMON],
  powershell: [PS_OPERATIONAL],
  'powershell-classic': [PS_CLASSIC],
  taskscheduler: ['Microsoft-Windows-TaskScheduler/Operational'],
  wmi: ['Microsoft-Windows-WMI-Activity/Operational'],
  windefend: ['Microsoft-Windows-Windows Defender/Operational'],
  applocker: [
    'Microsoft-Windows-AppLocker/EXE and DLL',
    'Microsoft-Windows-AppLocker/MSI and Script',
    'Microsoft-Windows-AppLocker/Packaged app-Deployment',
    'Microsoft-Windows-AppLocker/Packaged app-Execution',
  ],
  'bits-client': ['Microsoft-Windows-Bits-Client/Operational'],
  'codeintegrity-operational': ['Microsoft-Windows-CodeIntegrity/Operational'],
  'dns-server': ['DNS Server'],
  'dns-server-analytic': ['Microsoft-Windows-DNSServer/Analytical'],
  'dns-server-audit': ['Microsoft-Windows-DNSServer/Audit'],
  'dns-client': ['Microsoft-Windows-DNS Client Events/Operational'],
  ntlm: ['Microsoft-Windows-NTLM/Operational'],
  'firewall-as': ['Microsoft-Windows-Windows Firewall With Advanced Security/Firewall'],
  'appxdeployment-server': ['Microsoft-Windows-AppXDeploymentServer/Operational'],
  'appxpackaging-om': ['Microsoft-Windows-AppxPackaging/Operational'],
  'appmodel-runtime': ['Microsoft-Windows-AppModel-Runtime/Admin'],
  capi2: ['Microsoft-Windows-CAPI2/Operational'],
  'certificateservicesclient-lifecycle-system': ['Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational'],
  'diagnosis-scripted': ['Microsoft-Windows-Diagnosis-Scripted/Operational'],
  'driver-framework': ['Microsoft-Windows-DriverFrameworks-UserMode/Operational'],
  'iis-configuration': ['Microsoft-IIS-Configuration/Operational'],
  ldap: ['Microsoft-Windows-LDAP-Client/Debug'],
  'lsa-server': ['Microsoft-Windows-LSA/Operational'],
  'msexchange-management': ['MSExchange Management'],
  openssh: ['OpenSSH/Operational'],
  'printservice-admin': ['Microsoft-Windows-PrintService/Admin'],
  'printservice-operational': ['Microsoft-Windows-PrintService/Operational'],
  'security-mitigations': ['Microsoft-Windows-Security-Mitigations/Kernel Mode', 'Microsoft-Windows-Security-Mitigations/User Mode'],
  'shell-core': ['Microsoft-Windows-Shell-Core/Operational'],
  'smbclient-security': ['Microsoft-Windows-SmbClient/Security'],
  'smbclient-connectivity': ['Microsoft-Windows-SmbClient/Connectivity'],
  'smbserver-connectivity': ['Microsoft-Windows-SMBServer/Connectivity'],
  'smbserver-audit': ['Microsoft-Windows-SMBServer/Audit'],
  'terminalservices-localsessionmanager': ['Microsoft-Windows-TerminalServices-LocalSessionManager/Operational'],
  'terminalservices-remoteconnectionmanager': ['Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational'],
  'microsoft-servicebus-client': ['Microsoft-ServiceBus-Client'],
  'servicebus-client': ['Microsoft-ServiceBus-Client'],
  'kernel-shimengine': ['Microsoft-Windows-Kernel-ShimEngine/Operational'],
  'kernel-event-tracing': ['Microsoft-Windows-Kernel-EventTracing/Admin'],
  bitlocker: ['Microsoft-Windows-BitLocker/BitLocker Management'],
  'hyper-v-worker': ['Microsoft-Windows-Hyper-V-Worker-Admin'],
  vhdmp: ['Microsoft-Windows-VHDMP/Operational'],
  sense: ['Microsoft-Windows-SENSE/Operational'],
  'winrm': ['Microsoft-Windows-WinRM/Operational'],
  'wmi-activity': ['Microsoft-Windows-WMI-Activity/Operational'],
  'user-device-registration': ['Microsoft-Windows-User Device Registration/Admin'],
  'ntfs': ['Microsoft-Windows-Ntfs/Operational'],
};

/**
 * Names every Windows variant accepts. The EVTX import writes the record's
 * provider as `Provider` (the `loupe evtx dump` shape, docs/evtx.md), where
 * Sigma rules and other exports say `Provider_Name`.
 */
export const WINDOWS_COMMON_FIELDS: Record<string, string[]> = {
  Provider_Name: ['Provider_Name', 'Provider'],
};

function withCommonFields(v: LogsourceVariant): LogsourceVariant {
  return { ...v, fields: { ...WINDOWS_COMMON_FIELDS, ...v.fields } };
}

/** Security 4688 carries process creation under other names. */
const SECURITY_4688_FIELDS: Record<string, string[]> = {
  Image: ['NewProcessName'],
  ParentImage: ['ParentProcessName'],
  User: ['SubjectUserName'],
  ProcessId: ['NewProcessId'],
  ParentProcessId: ['ProcessId'],
  LogonId: ['SubjectLogonId'],
  // Sysmon-only fields must not fall through to same-named columns of other events in a mixed table.
  IntegrityLevel: [],
  OriginalFileName: [],
  ParentCommandLine: [],
  Hashes: [],
  CurrentDirectory: [],
};

/** Security 5156 (Windows Filtering Platform) as a network connection. */
const SECURITY_5156_FIELDS: Record<string, string[]> = {
  Image: ['Application'],
  SourceIp: ['SourceAddress'],
  SourcePort: ['SourcePort'],
  DestinationIp: ['DestAddress'],
  DestinationPort: ['DestPort'],
  Protocol: ['Protocol'],
  Initiated: [],
  User: [],
  DestinationHostname: [],
};

/** Security 4657 (registry value modified) as a registry event. */
const SECURITY_4657_FIELDS: Record<string, string[]> = {
  TargetObject: ['ObjectName'],
  Details: ['NewValue'],
  Image: ['ProcessName'],
  EventType: [],
};

/** Security 4663 (object access) as a file access. */
const SECURITY_4663_FIELDS: Record<string, string[]> = {
  TargetFilename: ['ObjectName'],
  Image: ['ProcessName'],
};

function sysmon(label: string, ...ids: number[]): LogsourceVariant {
  return { label: `Sysmon ${label}`, channels: [SYSMON], eventIds: ids };
}

/** Windows `category` -> the events that carry it. */
export const WINDOWS_CATEGORIES: Record<string, LogsourceVariant[]> = {
  process_creation: [sysmon('1', 1), { label: 'Security 4688', channels: [SECURITY], eventIds: [4688], fields: SECURITY_4688_FIELDS }],
  file_change: [sysmon('2', 2)],
  network_connection: [sysmon('3', 3), { label: 'Security 5156', channels: [SECURITY], eventIds: [5156], fields: SECURITY_5156_FIELDS }],
  sysmon_status: [sysmon('4/16', 4, 16)],
  process_termination: [sysmon('5', 5)],
  driver_load: [sysmon('6', 6)],
  image_load: [sysmon('7', 7)],
  create_remote_thread: [sysmon('8', 8)],
  raw_access_thread: [sysmon('9', 9)],
  process_access: [sysmon('10', 10)],
  file_event: [sysmon('11', 11)],
  registry_add: [sysmon('12', 12)],
  registry_delete: [sysmon('12', 12)],
  registry_set: [sysmon('13', 13), { label: 'Security 4657', channels: [SECURITY], eventIds: [4657], fields: SECURITY_4657_FIELDS }],
  registry_rename: [sysmon('14', 14)],
  registry_event: [sysmon('12/13/14', 12, 13, 14), { label: 'Security 4657', channels: [SECURITY], eventIds: [4657], fields: SECURITY_4657_FIELDS }],
  create_stream_hash: [sysmon('15', 15)],
  pipe_created: [sysmon('17/18', 17, 18)],
  wmi_event: [sysmon('19/20/21', 19, 20, 21)],
  dns_query: [sysmon('22', 22)],
  file_delete: [sysmon('23/26', 23, 26)],
  clipboard_capture: [sysmon('24', 24)],
  process_tampering: [sysmon('25', 25)],
  file_delete_detected: [sysmon('26', 26)],
  file_block_executable: [sysmon('27', 27)],
  file_block_shredding: [sysmon('28', 28)],
  file_executable_detected: [sysmon('29', 29)],
  sysmon_error: [sysmon('255', 255)],
  file_access: [{ label: 'Security 4663', channels: [SECURITY], eventIds: [4663], fields: SECURITY_4663_FIELDS }],
  ps_script: [{ label: 'PowerShell 4104', channels: [PS_OPERATIONAL], eventIds: [4104] }],
  ps_module: [{ label: 'PowerShell 4103', channels: [PS_OPERATIONAL], eventIds: [4103] }],
  ps_classic_start: [{ label: 'Windows PowerShell 400', channels: [PS_CLASSIC], eventIds: [400] }],
  ps_classic_provider_start: [{ label: 'Windows PowerShell 600', channels: [PS_CLASSIC], eventIds: [600] }],
  ps_classic_script: [{ label: 'Windows PowerShell 800', channels: [PS_CLASSIC], eventIds: [800] }],
};

/**
 * Web server access logs. Sigma's webserver taxonomy uses W3C names, and so
 * do our parsers: the Apache/nginx access-log parser writes c-ip, cs-method,
 * cs-uri, cs-uri-stem, cs-uri-query, sc-status, sc-bytes, cs-referer,
 * cs-user-agent, cs-username (docs/ingest-formats.md); IIS keeps its
 * `#Fields:` names (`cs(User-Agent)`, `cs(Referer)`). Only the names that
 * differ between Sigma and a parser are listed; the others resolve to the
 * column of the same name. Each list is tried in order, the first column a
 * source has wins.
 */
export const WEB_ACCESS_FIELDS: Record<string, string[]> = {
  'c-uri': ['c-uri', 'cs-uri'],
  'c-uri-query': ['c-uri-query', 'cs-uri-query'],
  'c-uri-stem': ['c-uri-stem', 'cs-uri-stem'],
  'cs-user-agent': ['cs-user-agent', 'cs(User-Agent)'],
  'c-useragent': ['c-useragent', 'cs-user-agent', 'cs(User-Agent)'],
  // Sigma spells it referrer; Apache's combined format and the W3C spec write referer.
  'cs-referrer': ['cs-referrer', 'cs-referer', 'cs(Referer)'],
  'cs-referer': ['cs-referer', 'cs-referrer', 'cs(Referer)'],
  'cs-host': ['cs-host', 'cs(Host)'],
  'cs-cookie': ['cs-cookie', 'cs(Cookie)'],
};

/** Linux `service` -> datasets and syslog programs (events.event_code). */
const LINUX_SERVICES: Record<string, LogsourceVariant> = {
  auth: { label: 'dataset linux.auth', datasets: ['linux.auth'] },
  syslog: { label: 'dataset linux.syslog', datasets: ['linux.syslog', 'linux.auth'] },
  sudo: { label: 'sudo in linux.auth', datasets: ['linux.auth', 'linux.syslog'], eventCodes: ['sudo'] },
  // OpenSSH 9.8+ logs its per-connection process as sshd-session.
  sshd: { label: 'sshd in linux.auth', datasets: ['linux.auth', 'linux.syslog'], eventCodes: ['sshd', 'sshd-session'] },
  su: { label: 'su in linux.auth', datasets: ['linux.auth', 'linux.syslog'], eventCodes: ['su'] },
  cron: { label: 'cron in linux.syslog', datasets: ['linux.syslog', 'linux.auth'], eventCodes: ['cron', 'crond'] },
  vsftpd: { label: 'vsftpd in linux.syslog', datasets: ['linux.syslog', 'linux.auth'], eventCodes: ['vsftpd'] },
  clamav: { label: 'clamd in linux.syslog', datasets: ['linux.syslog'], eventCodes: ['clamd', 'freshclam'] },
  guacamole: { label: 'guacd in linux.syslog', datasets: ['linux.syslog'], eventCodes: ['guacd'] },
  auditd: { label: 'dataset linux.auditd', datasets: ['linux.auditd'] },
};

const GENERIC_DATASETS = ['json', 'csv'];

function byFields(label: string): LogsourceVariant {
  return { label, datasets: GENERIC_DATASETS, byFields: true };
}

export type LogsourceResolution = { variants: LogsourceVariant[] } | { unsupported: string };

/** Resolve a rule's logsource to the variants it runs on, or say why it cannot run anywhere. */
export function resolveLogsource(ls: SigmaLogsource | undefined): LogsourceResolution {
  const product = ls?.product?.toLowerCase();
  const service = ls?.service?.toLowerCase();
  const category = ls?.category?.toLowerCase();
  const describe = [product && `product ${product}`, service && `service ${service}`, category && `category ${category}`].filter(Boolean).join(', ');

  if (product === 'windows') {
    const svcChannels = service ? WINDOWS_SERVICES[service] : undefined;
    if (category) {
      const variants = WINDOWS_CATEGORIES[category];
      if (!variants) return { unsupported: `logsource ${describe}: no Windows event carries category ${category}` };
      if (svcChannels) {
        const keep = variants.filter((v) => v.channels?.some((c) => svcChannels.includes(c)));
        if (keep.length > 0) return { variants: keep.map(withCommonFields) };
      }
      return { variants: variants.map(withCommonFields) };
    }
    if (service) {
      if (!svcChannels) return { unsupported: `logsource ${describe}: unknown Windows channel for service ${service}` };
      return { variants: [withCommonFields({ label: `channel ${svcChannels.join(' | ')}`, channels: svcChannels })] };
    }
    return { variants: [withCommonFields({ label: 'any Windows event', channels: [] })] };
  }

  if (product === 'linux') {
    if (service) {
      const v = LINUX_SERVICES[service];
      if (!v) return { unsupported: `logsource ${describe}: no dataset for Linux service ${service}` };
      return { variants: [v] };
    }
    if (category) {
      // Sysmon for Linux and auditd exports arrive as JSON with Sysmon-like field names.
      return { variants: [{ label: `linux ${category} by fields`, datasets: ['linux.auditd', 'sysmon', ...GENERIC_DATASETS], byFields: true }] };
    }
    return { variants: [{ label: 'any Linux log', datasets: ['linux.auth', 'linux.syslog', 'linux.auditd'] }] };
  }

  if (product === 'loupe') {
    // Our own rule pack's cross-format rules: every event, tested through `loupe.` fields (loupe-fields.ts).
    return { variants: [{ label: 'any event', allEvents: true }] };
  }

  if (product === 'zeek') {
    if (!service) return { variants: [{ label: 'any Zeek log', datasets: ZEEK_LOGS.map((l) => `zeek.${l}`) }] };
    const svc = service === 'dce_rpc' ? 'dce_rpc' : service;
    return { variants: [{ label: `dataset zeek.${svc}`, datasets: [`zeek.${svc}`] }] };
  }

  if (product === 'suricata' || category === 'ids') {
    return { variants: [{ label: 'dataset suricata.alert', datasets: ['suricata.alert'] }, { label: 'dataset ids', datasets: ['ids'] }] };
  }

  if (category === 'webserver') {
    return { variants: [{ label: 'dataset web.access', datasets: ['web.access'], fields: WEB_ACCESS_FIELDS }] };
  }
  if (category === 'proxy') {
    return { variants: [{ label: 'dataset web.proxy / web.access', datasets: ['web.proxy', 'web.access'], fields: WEB_ACCESS_FIELDS }] };
  }
  if (category === 'dns' && !product) {
    return {
      variants: [
        { label: 'dataset zeek.dns', datasets: ['zeek.dns'], fields: { record_type: ['qtype_name'], answer: ['answers'] } },
        { label: 'dataset suricata.dns', datasets: ['suricata.dns'], fields: { query: ['dns.rrname', 'dns.query.rrname'], record_type: ['dns.rrtype'], answer: ['dns.answers'] } },
      ],
    };
  }
  if (product === 'aws' && (!service || service === 'cloudtrail')) {
    // CloudTrail log files (json-unwrap.ts, the cloudtrail JSON family); other exports of it by their fields.
    return { variants: [{ label: 'dataset aws.cloudtrail', datasets: ['aws.cloudtrail'] }, byFields(`${describe} by fields`)] };
  }
  if (product === 'macos') {
    return { variants: [byFields(`macOS ${category ?? service ?? ''} by fields`.replace(/ +/g, ' '))] };
  }
  if (!product && !category && !service) return { unsupported: 'rule has no logsource' };
  // Cloud, identity and application logs: no dataset of ours names them, so they run where their fields are.
  return { variants: [byFields(`${describe} by fields`)] };
}

const ZEEK_LOGS = [
  'conn', 'dns', 'http', 'ssl', 'ssh', 'ftp', 'smtp', 'files', 'x509', 'notice', 'weird', 'dhcp', 'dce_rpc', 'smb_files', 'smb_mapping',
  'kerberos', 'ntlm', 'rdp', 'software', 'pe', 'dpd', 'snmp', 'syslog', 'tunnel', 'known_hosts', 'known_services', 'known_certs', 'ldap', 'modbus', 'ntp',
];
