import { buildCase, type FixtureRow, type FixtureSource } from '../../fixtures/detect-case';
import { buildRuleSet, parseRuleText, runRules, type RunOptions, type RunResult } from '../../../src/main/engine/detect';
import type { LoadOptions } from '../../../src/main/engine/detect';

/** A Sysmon process-creation row with the fields most rules test. */
export function proc(fields: Record<string, string | number | null>): FixtureRow {
  return { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, ...fields };
}

export function rule(detection: string, logsource = 'product: windows\n    category: process_creation', extra = ''): string {
  return `title: test rule
id: 00000000-0000-0000-0000-000000000001
${extra}logsource:
    ${logsource}
detection:
${detection}
level: high
`;
}

/** Run YAML rules over fixture sources; returns the result and, per rule id, the matching row positions per source. */
export async function run(
  yaml: string | string[],
  sources: FixtureSource[],
  opts: RunOptions = {},
  load: LoadOptions = {},
): Promise<{ result: RunResult; rows: (ruleId?: string) => number[]; status: ReturnType<typeof buildRuleSet> }> {
  const texts = Array.isArray(yaml) ? yaml : [yaml];
  const rs = buildRuleSet(texts.flatMap((t, i) => parseRuleText(t, `rule${i}.yml`, load)));
  const c = await buildCase(sources);
  try {
    const result = await runRules(c.conn, rs, opts);
    const posOf = new Map<number, number>();
    let k = 0;
    for (const list of c.ids) for (const id of list) posOf.set(id, k++);
    return {
      result,
      status: rs,
      rows: (ruleId) => {
        const hits = ruleId ? result.hits.filter((h) => h.ruleId === ruleId) : result.hits;
        return hits.flatMap((h) => h.eventIds.map((id) => posOf.get(id) ?? -1)).sort((a, b) => a - b);
      },
    };
  } finally {
    c.close();
  }
}

/** One rule, one Sysmon source: the positions of the rows that match. */
export async function matchRows(detection: string, rows: FixtureRow[], types?: Record<string, string>, load: LoadOptions = {}): Promise<number[]> {
  const src: FixtureSource = { dataset: 'sysmon', rows };
  if (types) src.types = types;
  const r = await run(rule(detection), [src], {}, load);
  const rec = r.status.rules[0];
  if (rec?.status !== 'active') throw new Error(`rule not active: ${rec?.status} ${rec?.reason}`);
  if (r.result.failures.length) throw new Error(`rule failed: ${r.result.failures[0]?.reason}`);
  return r.rows();
}
