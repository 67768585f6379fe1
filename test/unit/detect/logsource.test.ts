import { describe, expect, it } from 'vitest';
import { resolveLogsource, WEB_ACCESS_FIELDS } from '../../../src/main/engine/detect';
import { proc, rule, run } from './helpers';

const SYSMON = 'Microsoft-Windows-Sysmon/Operational';

describe('logsource mapping', () => {
  it('process_creation runs on Sysmon 1 and on Security 4688 with renamed fields', async () => {
    const det = `    sel:\n        Image|endswith: '\\whoami.exe'\n        User|contains: admin\n    condition: sel`;
    const res = await run(rule(det), [
      {
        dataset: 'windows.security',
        rows: [
          { Channel: 'Security', EventID: 4688, NewProcessName: 'C:\\Windows\\System32\\whoami.exe', SubjectUserName: 'administrator' },
          { Channel: 'Security', EventID: 4624, NewProcessName: 'C:\\Windows\\System32\\whoami.exe', SubjectUserName: 'administrator' },
        ],
      },
      {
        dataset: 'sysmon',
        rows: [
          proc({ Image: 'C:\\Windows\\System32\\whoami.exe', User: 'CORP\\admin' }),
          { Channel: SYSMON, EventID: 3, Image: 'C:\\Windows\\System32\\whoami.exe', User: 'CORP\\admin' },
        ],
      },
    ]);
    expect(res.rows()).toEqual([0, 2]);
  });

  it('service selects the channel; EventID numeric or text', async () => {
    const det = `    sel:\n        EventID: 4625\n    condition: sel`;
    const res = await run(rule(det, 'product: windows\n    service: security'), [
      { dataset: 'windows.security', rows: [{ Channel: 'Security', EventID: '4625' }, { Channel: 'System', EventID: '4625' }, { Channel: 'security', EventID: '4624' }] },
    ]);
    expect(res.rows()).toEqual([0]);
  });

  it('a rule whose fields a source lacks is reported as not applicable, not run', async () => {
    const det = `    sel:\n        OriginalFileName: 'whoami.exe'\n    condition: sel`;
    const res = await run(rule(det), [{ dataset: 'windows.security', rows: [{ Channel: 'Security', EventID: 4688, NewProcessName: 'x' }] }]);
    expect(res.rows()).toEqual([]);
    expect(res.result.notApplicable).toEqual([expect.objectContaining({ target: 'Security 4688', reason: expect.stringMatching(/OriginalFileName/) })]);
    expect(res.result.failures).toEqual([]);
  });

  it('linux service maps to dataset and program', async () => {
    const det = `    sel:\n        msg|contains: 'COMMAND=/bin/bash'\n    condition: sel`;
    const res = await run(rule(det, 'product: linux\n    service: sudo'), [
      {
        dataset: 'linux.auth',
        rows: [
          { msg: 'bob : TTY=pts/0 ; COMMAND=/bin/bash', $event_code: 'sudo' },
          { msg: 'bob : TTY=pts/0 ; COMMAND=/bin/bash', $event_code: 'sshd' },
        ],
      },
      { dataset: 'linux.syslog', rows: [{ msg: 'COMMAND=/bin/bash', $event_code: 'cron' }] },
    ]);
    expect(res.rows()).toEqual([0]);
  });

  it('zeek: dataset per log, id.orig_h falls back to id_orig_h', async () => {
    const det = `    sel:\n        id.resp_p: 3389\n        id.orig_h|cidr: 10.0.0.0/8\n    condition: sel`;
    const res = await run(rule(det, 'product: zeek\n    service: conn'), [
      { dataset: 'zeek.conn', rows: [{ 'id.orig_h': '10.1.1.1', 'id.resp_p': 3389 }, { 'id.orig_h': '8.8.8.8', 'id.resp_p': 3389 }] },
      { dataset: 'zeek.conn', rows: [{ id_orig_h: '10.9.9.9', id_resp_p: 3389 }] },
      { dataset: 'zeek.dns', rows: [{ 'id.orig_h': '10.1.1.1', 'id.resp_p': 3389 }] },
    ]);
    expect(res.rows()).toEqual([0, 2]);
  });

  it('webserver rules use the W3C names our access-log parser writes, and IIS spellings', async () => {
    const det = `    sel:\n        cs-method: POST\n        cs-uri-query|contains: 'cmd='\n        sc-status: 200\n        cs-referrer|contains: evil\n    condition: sel`;
    const res = await run(rule(det, 'category: webserver'), [
      {
        dataset: 'web.access',
        rows: [
          // The Apache/nginx parser's fields (docs/ingest-formats.md): referer with one r.
          { 'c-ip': '10.0.0.5', 'cs-method': 'POST', 'cs-uri': '/shell.jsp?cmd=id', 'cs-uri-stem': '/shell.jsp', 'cs-uri-query': 'cmd=id', 'sc-status': 200, 'cs-referer': 'http://evil.example/' },
          { 'c-ip': '10.0.0.5', 'cs-method': 'GET', 'cs-uri': '/shell.jsp?cmd=id', 'cs-uri-stem': '/shell.jsp', 'cs-uri-query': 'cmd=id', 'sc-status': 200, 'cs-referer': 'http://evil.example/' },
        ],
      },
      // IIS W3C keeps its #Fields: names.
      { dataset: 'web.access', rows: [{ 'cs-method': 'POST', 'cs-uri-query': 'cmd=whoami', 'sc-status': 200, 'cs(Referer)': 'http://evil.example/' }] },
      // Names no parser of ours writes do not stand in for the W3C ones.
      { dataset: 'web.access', rows: [{ method: 'POST', url: '/x?cmd=id', status: 200, referrer: 'http://evil.example/' }] },
    ]);
    expect(res.rows()).toEqual([0, 2]);
  });

  it('maps Sigma webserver names to the columns the parsers write', () => {
    expect(WEB_ACCESS_FIELDS['cs-referrer']).toEqual(['cs-referrer', 'cs-referer', 'cs(Referer)']);
    expect(WEB_ACCESS_FIELDS['c-uri']).toContain('cs-uri');
    for (const list of Object.values(WEB_ACCESS_FIELDS)) for (const name of list) expect(name).not.toMatch(/^(method|url|status|client_ip|user_agent|referrer)$/);
  });

  it('suricata alerts by dataset with dotted field names', async () => {
    const det = `    sel:\n        alert.signature|contains: 'ET MALWARE'\n    condition: sel`;
    const res = await run(rule(det, 'product: suricata'), [
      { dataset: 'suricata.alert', rows: [{ 'alert.signature': 'ET MALWARE Win32/Foo CnC' }, { 'alert.signature': 'ET POLICY curl' }] },
      { dataset: 'suricata.flow', rows: [{ 'alert.signature': 'ET MALWARE x' }] },
    ]);
    expect(res.rows()).toEqual([0]);
  });

  it('cloud rules run on generic JSON sources only when every field is there, and AWS rules on CloudTrail', async () => {
    const det = `    sel:\n        eventSource: iam.amazonaws.com\n        eventName: CreateAccessKey\n    condition: sel`;
    const res = await run(rule(det, 'product: aws\n    service: cloudtrail'), [
      { dataset: 'json', rows: [{ eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey' }, { eventSource: 'iam.amazonaws.com', eventName: 'ListUsers' }] },
      { dataset: 'json', rows: [{ eventSource: 'iam.amazonaws.com', other: 'CreateAccessKey' }] },
      { dataset: 'aws.cloudtrail', rows: [{ eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey' }, { eventSource: 's3.amazonaws.com', eventName: 'GetObject' }] },
    ]);
    expect(res.rows()).toEqual([0, 3]);
    expect(res.status.rules[0]?.targets).toEqual(['dataset aws.cloudtrail', expect.stringMatching(/by fields/)]);
    const azure = await run(rule(`    sel:\n        operationName: Delete\n    condition: sel`, 'product: azure\n    service: activitylogs'), [
      { dataset: 'json', rows: [{ operationName: 'Delete' }] },
      { dataset: 'aws.cloudtrail', rows: [{ operationName: 'Delete' }] },
    ]);
    expect(azure.rows()).toEqual([0]);
    expect(azure.status.rules[0]?.targets[0]).toMatch(/by fields/);
  });

  it('resolves every Windows category SigmaHQ uses, and says why when it cannot', () => {
    for (const c of ['process_creation', 'registry_set', 'file_event', 'ps_script', 'image_load', 'network_connection', 'dns_query', 'pipe_created', 'create_remote_thread', 'process_access', 'ps_module', 'driver_load', 'wmi_event']) {
      expect(resolveLogsource({ product: 'windows', category: c })).toHaveProperty('variants');
    }
    expect(resolveLogsource({ product: 'windows', service: 'sysmon' })).toEqual({ variants: [expect.objectContaining({ channels: [SYSMON] })] });
    expect(resolveLogsource({ product: 'windows', service: 'nonsense' })).toEqual({ unsupported: expect.stringMatching(/nonsense/) });
  });
});
