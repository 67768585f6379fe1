/**
 * Windows event semantics shared by the JSON mapping (json-map.ts) and, through
 * it, the SQL the pipeline generates: which dataset a channel is, what an
 * event ID means, and when it reports success or failure. Keys are lower-case
 * because the mapping compares lower-cased text (channels arrive as both
 * `Security` and `security`).
 */

/** Channel -> dataset. Other channels become `windows.<short name>` (see json-map.ts). */
export const WINDOWS_CHANNEL_DATASETS: Readonly<Record<string, string>> = {
  security: 'windows.security',
  system: 'windows.system',
  application: 'windows.application',
  'microsoft-windows-sysmon/operational': 'sysmon',
  'microsoft-windows-powershell/operational': 'windows.powershell',
  'windows powershell': 'windows.powershell',
  'powershellcore/operational': 'windows.powershell',
};

type Table = Record<string, string>;

function prefixed(dataset: string, t: Record<number, string>): Table {
  const out: Table = {};
  for (const [id, v] of Object.entries(t)) out[`${dataset}:${id}`] = v;
  return out;
}

const SECURITY_ACTIONS: Record<number, string> = {
  1100: 'eventlog-shutdown',
  1102: 'log-cleared',
  4608: 'system-startup',
  4616: 'system-time-changed',
  4624: 'logon',
  4625: 'logon-failed',
  4634: 'logoff',
  4647: 'logoff',
  4648: 'logon-explicit-credentials',
  4656: 'object-handle-requested',
  4657: 'registry-value-modified',
  4658: 'object-handle-closed',
  4660: 'object-deleted',
  4661: 'object-handle-requested',
  4662: 'directory-object-access',
  4663: 'object-access',
  4670: 'permissions-changed',
  4672: 'special-privileges-assigned',
  4673: 'privileged-service-called',
  4674: 'privileged-object-operation',
  4688: 'process-start',
  4689: 'process-end',
  4690: 'handle-duplicated',
  4697: 'service-installed',
  4698: 'scheduled-task-created',
  4699: 'scheduled-task-deleted',
  4700: 'scheduled-task-enabled',
  4701: 'scheduled-task-disabled',
  4702: 'scheduled-task-updated',
  4703: 'token-right-adjusted',
  4704: 'user-right-assigned',
  4719: 'audit-policy-changed',
  4720: 'user-created',
  4722: 'user-enabled',
  4723: 'password-change-attempt',
  4724: 'password-reset',
  4725: 'user-disabled',
  4726: 'user-deleted',
  4727: 'group-created',
  4728: 'group-member-added',
  4729: 'group-member-removed',
  4731: 'group-created',
  4732: 'group-member-added',
  4733: 'group-member-removed',
  4735: 'group-modified',
  4737: 'group-modified',
  4738: 'user-modified',
  4740: 'user-locked-out',
  4741: 'computer-account-created',
  4742: 'computer-account-modified',
  4743: 'computer-account-deleted',
  4754: 'group-created',
  4756: 'group-member-added',
  4757: 'group-member-removed',
  4767: 'user-unlocked',
  4768: 'kerberos-tgt-request',
  4769: 'kerberos-service-ticket',
  4770: 'kerberos-ticket-renewed',
  4771: 'kerberos-preauth-failed',
  4776: 'ntlm-auth',
  4778: 'session-reconnect',
  4779: 'session-disconnect',
  4781: 'account-renamed',
  4798: 'user-groups-enumerated',
  4799: 'group-members-enumerated',
  4825: 'rdp-access-denied',
  4946: 'firewall-rule-added',
  4947: 'firewall-rule-modified',
  4948: 'firewall-rule-deleted',
  5136: 'directory-object-modified',
  5137: 'directory-object-created',
  5140: 'share-access',
  5142: 'share-added',
  5145: 'share-object-access',
  5156: 'network-connection-allowed',
  5157: 'network-connection-blocked',
  5158: 'network-bind-allowed',
  5379: 'credential-read',
  5381: 'credential-enumerated',
};

const SYSTEM_ACTIONS: Record<number, string> = {
  104: 'log-cleared',
  1074: 'shutdown-initiated',
  6005: 'eventlog-started',
  6006: 'eventlog-stopped',
  6008: 'unexpected-shutdown',
  7034: 'service-crashed',
  7036: 'service-state-changed',
  7040: 'service-start-type-changed',
  7045: 'service-installed',
};

const SYSMON_ACTIONS: Record<number, string> = {
  1: 'process-start',
  2: 'file-time-changed',
  3: 'network-connection',
  4: 'sysmon-state-changed',
  5: 'process-end',
  6: 'driver-loaded',
  7: 'image-loaded',
  8: 'remote-thread-created',
  9: 'raw-access-read',
  10: 'process-access',
  11: 'file-created',
  12: 'registry-key-event',
  13: 'registry-value-set',
  14: 'registry-renamed',
  15: 'file-stream-created',
  16: 'sysmon-config-changed',
  17: 'pipe-created',
  18: 'pipe-connected',
  19: 'wmi-filter',
  20: 'wmi-consumer',
  21: 'wmi-binding',
  22: 'dns-query',
  23: 'file-deleted',
  24: 'clipboard-changed',
  25: 'process-tampering',
  26: 'file-delete-logged',
  27: 'file-block-executable',
  28: 'file-block-shredding',
  29: 'file-executable-detected',
  255: 'sysmon-error',
};

const POWERSHELL_ACTIONS: Record<number, string> = {
  400: 'engine-started',
  403: 'engine-stopped',
  600: 'provider-started',
  800: 'pipeline-executed',
  4103: 'pipeline-executed',
  4104: 'script-block',
  4105: 'script-block-started',
  4106: 'script-block-stopped',
};

/** `<dataset>:<EventID>` -> action. */
export const WINDOWS_ACTIONS: Readonly<Table> = {
  ...prefixed('windows.security', SECURITY_ACTIONS),
  ...prefixed('windows.system', SYSTEM_ACTIONS),
  ...prefixed('sysmon', SYSMON_ACTIONS),
  ...prefixed('windows.powershell', POWERSHELL_ACTIONS),
};

/** `<dataset>:<EventID>` -> outcome, for the events whose ID alone says it. */
export const WINDOWS_OUTCOMES: Readonly<Table> = prefixed('windows.security', {
  4624: 'success',
  4625: 'failure',
  4648: 'success',
  4740: 'failure',
  4771: 'failure',
  4825: 'failure',
  5156: 'success',
  5157: 'failure',
});

/**
 * The audit keyword says success or failure for every Security event:
 * 0x8020000000000000 audit success, 0x8010000000000000 audit failure (as hex
 * text, as the signed decimal some exporters write, or as a name).
 */
export const WINDOWS_OUTCOME_BY_KEYWORD: Readonly<Table> = {
  '0x8020000000000000': 'success',
  '0x8010000000000000': 'failure',
  '-9214364837600034816': 'success',
  '-9218868437227405312': 'failure',
  // The same after a float64 JSON reader rounded them.
  '-9214364837600035000': 'success',
  '-9218868437227405000': 'failure',
  audit_success: 'success',
  audit_failure: 'failure',
  'audit success': 'success',
  'audit failure': 'failure',
};
