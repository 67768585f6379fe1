import type { ExportSource } from '@shared/findings-contract';
import { SEVERITIES, type Severity } from '@shared/events';

export interface SourceDraft {
  kind: 'search' | 'alerts' | 'bookmarks';
  query: string;
  levels: Severity[];
  tag: string;
}

export const DEFAULT_SOURCE: SourceDraft = { kind: 'bookmarks', query: '', levels: [], tag: '' };

export function toSource(d: SourceDraft): ExportSource {
  if (d.kind === 'search') return { kind: 'search', query: d.query };
  if (d.kind === 'alerts') return d.levels.length ? { kind: 'alerts', levels: d.levels } : { kind: 'alerts' };
  return d.tag.trim() ? { kind: 'bookmarks', tag: d.tag.trim() } : { kind: 'bookmarks' };
}

/** What to export or forward: a search, the alert list, or the bookmarked events. */
export function SourcePicker({ value, onChange, idPrefix }: { value: SourceDraft; onChange: (v: SourceDraft) => void; idPrefix: string }) {
  const set = (patch: Partial<SourceDraft>) => onChange({ ...value, ...patch });
  return (
    <fieldset className="source-picker">
      <legend>What</legend>
      <div className="radio-row" role="radiogroup">
        {(['bookmarks', 'search', 'alerts'] as const).map((k) => (
          <label key={k} className="radio">
            <input type="radio" name={`${idPrefix}-kind`} checked={value.kind === k} onChange={() => set({ kind: k })} data-testid={`${idPrefix}-kind-${k}`} />
            {k === 'bookmarks' ? 'Bookmarked events' : k === 'search' ? 'A search result' : 'Alerts'}
          </label>
        ))}
      </div>
      {value.kind === 'search' ? (
        <label>
          Search (the search language; empty for every event)
          <input className="mono" value={value.query} onChange={(e) => set({ query: e.target.value })} placeholder='e.g. src_ip:203.0.113.66 OR "failed password"' data-testid={`${idPrefix}-query`} />
        </label>
      ) : null}
      {value.kind === 'alerts' ? (
        <div className="check-row" aria-label="Alert levels">
          {SEVERITIES.map((l) => (
            <label key={l} className="check">
              <input
                type="checkbox"
                checked={value.levels.includes(l)}
                onChange={(e) => set({ levels: e.target.checked ? [...value.levels, l] : value.levels.filter((x) => x !== l) })}
              />
              <span className={`sev sev-${l}`}>{l}</span>
            </label>
          ))}
          <span className="muted small-note">none ticked: every level</span>
        </div>
      ) : null}
      {value.kind === 'bookmarks' ? (
        <label>
          Only with this tag (optional)
          <input value={value.tag} onChange={(e) => set({ tag: e.target.value })} placeholder="e.g. lateral-movement" />
        </label>
      ) : null}
    </fieldset>
  );
}
