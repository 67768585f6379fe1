import { describe, expect, it } from 'vitest';
import { parseCondition, expandPattern } from '../../../src/main/engine/detect/condition-parser';
import { buildRuleSet, parseRuleText } from '../../../src/main/engine/detect';
import { matchRows, proc, rule } from './helpers';

const rows = [
  proc({ Image: 'C:\\a\\cmd.exe', CommandLine: 'whoami', ParentImage: 'C:\\x\\explorer.exe' }), // 0
  proc({ Image: 'C:\\a\\cmd.exe', CommandLine: 'dir', ParentImage: 'C:\\x\\winword.exe' }), // 1
  proc({ Image: 'C:\\a\\powershell.exe', CommandLine: 'whoami', ParentImage: 'C:\\x\\winword.exe' }), // 2
  proc({ Image: 'C:\\a\\notepad.exe', CommandLine: 'readme', ParentImage: 'C:\\x\\explorer.exe' }), // 3
];
const sels = `    sel_cmd:
        Image|endswith: '\\cmd.exe'
    sel_who:
        CommandLine: whoami
    filter_word:
        ParentImage|endswith: '\\winword.exe'
    _hidden:
        Image|endswith: '\\notepad.exe'
`;

describe('conditions', () => {
  it('and / or / not with precedence (not > and > or)', async () => {
    expect(await matchRows(`${sels}    condition: sel_cmd and sel_who`, rows)).toEqual([0]);
    expect(await matchRows(`${sels}    condition: sel_cmd or sel_who`, rows)).toEqual([0, 1, 2]);
    expect(await matchRows(`${sels}    condition: sel_cmd and not filter_word`, rows)).toEqual([0]);
    expect(await matchRows(`${sels}    condition: sel_who or sel_cmd and filter_word`, rows)).toEqual([0, 1, 2]);
    expect(await matchRows(`${sels}    condition: not sel_cmd and not sel_who`, rows)).toEqual([3]);
  });
  it('parentheses', async () => {
    expect(await matchRows(`${sels}    condition: (sel_who or sel_cmd) and filter_word`, rows)).toEqual([1, 2]);
    expect(await matchRows(`${sels}    condition: not (sel_cmd or sel_who)`, rows)).toEqual([3]);
  });
  it('1 of / all of with wildcard selection names', async () => {
    expect(await matchRows(`${sels}    condition: 1 of sel_*`, rows)).toEqual([0, 1, 2]);
    expect(await matchRows(`${sels}    condition: all of sel_*`, rows)).toEqual([0]);
    expect(await matchRows(`${sels}    condition: all of sel_* and not 1 of filter_*`, rows)).toEqual([0]);
  });
  it('them excludes names starting with an underscore', async () => {
    expect(await matchRows(`${sels}    condition: 1 of them`, rows)).toEqual([0, 1, 2]);
    expect(await matchRows(`${sels}    condition: all of them`, rows)).toEqual([]);
    expect(await matchRows(`${sels}    condition: _hidden`, rows)).toEqual([3]);
  });
  it('a list of conditions means any of them', async () => {
    expect(await matchRows(`${sels}    condition:\n        - sel_cmd and sel_who\n        - _hidden`, rows)).toEqual([0, 3]);
  });
  it('a list of maps is OR; a map is AND', async () => {
    const det = `    sel:\n        - Image|endswith: '\\cmd.exe'\n          CommandLine: dir\n        - Image|endswith: '\\notepad.exe'\n    condition: sel`;
    expect(await matchRows(det, rows)).toEqual([1, 3]);
  });
  it('keywords search message and raw of the event', async () => {
    const r = await import('./helpers');
    const res = await r.run(rule(`    keywords:\n        - 'Accepted password'\n        - 'session opened*root'\n    condition: keywords`, 'product: linux\n    service: auth'), [
      {
        dataset: 'linux.auth',
        rows: [
          { program: 'sshd', $message: 'Accepted password for bob from 10.0.0.1' },
          { program: 'sshd', $raw: 'Nov 1 host sshd[1]: Failed password for bob' },
          { program: 'su', $raw: 'pam_unix(su:session): session opened for user root by bob' },
        ],
      },
    ]);
    expect(res.rows()).toEqual([0, 2]);
  });
});

describe('condition parser', () => {
  it('parses and reports errors with the token', () => {
    expect(parseCondition('a and not (b or c)')).toEqual({ t: 'and', xs: [{ t: 'ref', name: 'a' }, { t: 'not', x: { t: 'or', xs: [{ t: 'ref', name: 'b' }, { t: 'ref', name: 'c' }] } }] });
    expect(() => parseCondition('a and')).toThrow(/ends/);
    expect(() => parseCondition('(a')).toThrow(/parenthesis/);
    expect(() => parseCondition('a b')).toThrow(/unexpected "b"/);
    expect(() => parseCondition('sel | count() > 5')).toThrow(/aggregation/);
  });
  it('expands patterns', () => {
    expect(expandPattern('sel*', ['sel1', 'sel_2', 'filter', '_sel'])).toEqual(['sel1', 'sel_2']);
    expect(expandPattern('them', ['a', '_b'])).toEqual(['a']);
  });
  it('statuses: unknown selection is an error, aggregation is unsupported, bad YAML has a line', () => {
    const bad = (det: string): { status: string; reason: string; line?: number } => {
      const rec = buildRuleSet(parseRuleText(rule(det), 'x.yml')).rules[0];
      return { status: rec?.status ?? '', reason: rec?.reason ?? '', ...(rec?.origin.line ? { line: rec.origin.line } : {}) };
    };
    expect(bad(`    sel:\n        a: 1\n    condition: nope`)).toMatchObject({ status: 'error', reason: expect.stringMatching(/nope/) });
    expect(bad(`    sel:\n        a: 1\n    condition: sel | count() > 5`)).toMatchObject({ status: 'unsupported' });
    expect(bad(`    sel:\n        a|frobnicate: 1\n    condition: sel`)).toMatchObject({ status: 'unsupported', reason: expect.stringMatching(/frobnicate/) });
    expect(bad(`    sel:\n        a|re: '(?<=x)y'\n    condition: sel`)).toMatchObject({ status: 'unsupported', reason: expect.stringMatching(/lookaround/) });
    const yamlErr = buildRuleSet(parseRuleText('title: x\nlogsource:\n  product: windows\ndetection:\n  sel: [unclosed\n  condition: sel\n', 'y.yml')).rules[0];
    expect(yamlErr?.status).toBe('error');
    expect(yamlErr?.origin.line).toBeGreaterThan(1);
    const noTitle = buildRuleSet(parseRuleText('logsource:\n  product: windows\ndetection:\n  sel: {a: 1}\n  condition: sel\n', 'z.yml')).rules[0];
    expect(noTitle).toMatchObject({ status: 'error', reason: expect.stringMatching(/title/) });
  });
});
