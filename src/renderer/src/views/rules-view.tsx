import { useCallback, useEffect, useRef, useState } from 'react';
import { RULE_STATUSES, type OpOutput, type RulePack, type RuleStatus, type RunSummary, type Suppression } from '@shared/contract';
import { termFor } from '@shared/search-terms';
import { useApi, usePushEvent } from '../api/context';
import { useAppState } from '../app-state';
import { CodeBlock } from '../components/code-block';
import { EmptyState, ErrorState } from '../components/empty-state';
import { FileField } from '../components/file-field';
import { formatTime } from '../lib/format';
import { alertsHref, hashParam, searchHref } from '../lib/nav';
import '../hunt.css';
import '../overview.css';

type RuleList = OpOutput<'listRules'>;
type RuleDetail = OpOutput<'getRule'>;
const PAGE = 200;

function toggle<T>(list: T[], v: T): T[] {
  return list.includes(v) ? list.filter((x) => x !== v) : [...list, v];
}

/**
 * The case's rule set: the built-in pack and imported folders with their
 * status counts; every rule searchable, enabled or not, why it cannot run,
 * the SQL it runs as, and a button to run it now.
 */
export function RulesView() {
  const api = useApi();
  const { caseInfo } = useAppState();
  const [packs, setPacks] = useState<RulePack[] | null>(null);
  const [list, setList] = useState<RuleList | null>(null);
  const [statuses, setStatuses] = useState<RuleStatus[]>([]);
  const [packId, setPackId] = useState<number | null>(null);
  const [enabled, setEnabled] = useState<'' | 'on' | 'off'>('');
  const [text, setText] = useState(() => hashParam('rule') ?? '');
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<string | null>(() => hashParam('rule'));
  const [checked, setChecked] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [importPath, setImportPath] = useState('');
  const [importMsg, setImportMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [toggleError, setToggleError] = useState<string | null>(null);
  const toggles = useRef<Promise<unknown>>(Promise.resolve());
  const reload = useCallback(() => setTick((t) => t + 1), []);
  usePushEvent('alertsUpdated', reload);
  // A link to another rule while this view is open (the view stays mounted).
  useEffect(() => {
    const onHash = () => {
      const rule = window.location.hash.startsWith('#/rules') ? hashParam('rule') : null;
      if (!rule) return;
      setOffset(0);
      setText(rule);
      setSelected(rule);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const caseKey = `${caseInfo?.id ?? ''}`;

  useEffect(() => {
    api.listRulePacks({}).then(
      (r) => setPacks(r.packs),
      (e: Error) => setError(e.message),
    );
  }, [api, caseKey, tick]);

  useEffect(() => {
    let stale = false;
    const t = setTimeout(
      () =>
        api
          .listRules({
            ...(statuses.length ? { statuses } : {}),
            ...(packId !== null ? { packId } : {}),
            ...(enabled ? { enabled: enabled === 'on' } : {}),
            ...(text.trim() ? { text: text.trim() } : {}),
            offset,
            limit: PAGE,
          })
          .then(
            (r) => !stale && setList(r),
            (e: Error) => !stale && setError(e.message),
          ),
      text ? 250 : 0,
    );
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [api, statuses, packId, enabled, text, offset, caseKey, tick]);

  const importRules = async () => {
    setBusy(true);
    setImportMsg(null);
    try {
      const r = await api.importRules({ path: importPath.trim() });
      setImportMsg({ ok: true, text: `Imported “${r.pack.name}”: ${r.counts.active} active, ${r.counts.unsupported} unsupported, ${r.counts.error} in error.` });
      setImportPath('');
      reload();
    } catch (e) {
      setImportMsg({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const setEnabledFor = async (ids: string[], on: boolean) => {
    // Shown at once: a controlled switch would otherwise spring back until the list reloads.
    const flip = (v: boolean) => setList((l) => l && { ...l, rules: l.rules.map((r) => (ids.includes(r.id) ? { ...r, enabled: v } : r)) });
    flip(on);
    setToggleError(null);
    try {
      // One change at a time, in the order clicked: two quick flips must not land reversed.
      const next = toggles.current.then(() => api.setRulesEnabled({ ids, enabled: on }));
      toggles.current = next.catch(() => undefined);
      await next;
      setChecked(new Set());
    } catch (e) {
      flip(!on);
      setToggleError((e as Error).message);
    }
    reload();
  };

  return (
    <section className="view" aria-labelledby="view-title" data-view="rules" data-state={error ? 'error' : list ? 'ready' : 'loading'}>
      <header className="view-header">
        <h1 id="view-title">Rules</h1>
        {list ? (
          <span className="muted" data-testid="rule-counts">
            {list.counts.active.toLocaleString()} active · {list.counts.unsupported.toLocaleString()} unsupported · {list.counts.error.toLocaleString()} in error · {list.counts.disabled.toLocaleString()} disabled
          </span>
        ) : null}
      </header>
      {error ? <ErrorState title="The rules could not load" message={error} onRetry={reload} /> : null}

      <section className="card" aria-labelledby="packs-title">
        <h2 id="packs-title" className="card-title">
          Rule packs
        </h2>
        {packs === null ? (
          <p className="muted">Loading…</p>
        ) : (
          <table className="data-table" data-testid="rule-packs">
            <thead>
              <tr>
                <th scope="col">Pack</th>
                <th scope="col">From</th>
                <th scope="col" className="num">
                  Rules
                </th>
                <th scope="col" className="num">
                  Active
                </th>
                <th scope="col" className="num">
                  Unsupported
                </th>
                <th scope="col" className="num">
                  Error
                </th>
                <th scope="col">Imported</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {packs.map((p) => (
                <tr key={p.id} className={packId === p.id ? 'selected' : undefined}>
                  <td>
                    <button type="button" className="link-button" onClick={() => setPackId(packId === p.id ? null : p.id)} aria-pressed={packId === p.id} title="Show only this pack's rules">
                      {p.name}
                    </button>{' '}
                    <span className="muted small-note">{p.kind}</span>
                  </td>
                  <td className="mono small-note origin-cell" title={p.origin}>
                    {p.origin}
                  </td>
                  <td className="num">{p.rules.toLocaleString()}</td>
                  <td className="num state-ok">{p.counts.active.toLocaleString()}</td>
                  <td className="num">{p.counts.unsupported.toLocaleString()}</td>
                  <td className={`num${p.counts.error ? ' state-error' : ''}`}>{p.counts.error.toLocaleString()}</td>
                  <td className="mono">{p.importedAt ? formatTime(p.importedAt, 'min') : 'built in'}</td>
                  <td>
                    {p.id >= 1 ? (
                      <button type="button" className="ghost small" onClick={() => {
                          // The case's copy of the pack goes; alerts its rules raised stay.
                          if (!window.confirm(`Remove the rule pack "${p.name}" (${p.rules.toLocaleString()} rules) from this case? Alerts its rules already raised stay.`)) return;
                          void api.removeRulePack({ id: p.id }).then(reload, (e: Error) => setImportMsg({ ok: false, text: e.message }));
                        }} aria-label={`Remove the pack ${p.name}`}>
                        Remove
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form
          className="form-row"
          onSubmit={(e) => {
            e.preventDefault();
            void importRules();
          }}
        >
          <FileField label="Import a Sigma rule folder, .yml or .zip" value={importPath} onChange={setImportPath} accept=".yml,.yaml,.zip" testId="rules-import-path" />
          <button type="submit" disabled={busy || !importPath.trim()} data-testid="rules-import">
            {busy ? 'Importing…' : 'Import rules'}
          </button>
        </form>
        {importMsg ? (
          <p className={importMsg.ok ? 'form-ok small-note' : 'form-error small-note'} role={importMsg.ok ? 'status' : 'alert'}>
            {importMsg.text}
          </p>
        ) : null}
      </section>

      <Suppressions tick={tick} onChanged={reload} />

      <div className="toolbar" role="group" aria-label="Rule filters">
        {RULE_STATUSES.map((s) => (
          <button
            key={s}
            type="button"
            className="filter-chip"
            aria-pressed={statuses.includes(s)}
            onClick={() => {
              setOffset(0);
              setStatuses((x) => toggle(x, s));
            }}
            data-testid={`rule-status-${s}`}
          >
            {s} {list ? (list.counts[s] ?? 0).toLocaleString() : ''}
          </button>
        ))}
        <label className="inline">
          Enabled
          <select value={enabled} onChange={(e) => setEnabled(e.target.value as typeof enabled)}>
            <option value="">all</option>
            <option value="on">enabled</option>
            <option value="off">disabled</option>
          </select>
        </label>
        <input
          className="grow"
          value={text}
          onChange={(e) => {
            setOffset(0);
            setText(e.target.value);
          }}
          placeholder="Search rules: title, id, path or reason"
          aria-label="Search rules"
          data-testid="rules-filter"
        />
      </div>
      {checked.size > 0 ? (
        <div className="toolbar bulk-bar" role="group" aria-label="Bulk actions">
          <strong>{checked.size} selected</strong>
          <button type="button" className="secondary small" onClick={() => void setEnabledFor([...checked], true)}>
            Enable
          </button>
          <button type="button" className="secondary small" onClick={() => void setEnabledFor([...checked], false)}>
            Disable
          </button>
        </div>
      ) : null}
      {toggleError ? (
        <p className="form-error small-note" role="alert">
          {toggleError}
        </p>
      ) : null}
      {list && list.reasons.length > 0 && statuses.some((s) => s !== 'active') ? (
        <details className="card">
          <summary>Why rules cannot run ({list.reasons.length} reasons)</summary>
          <ul className="plain-list">
            {list.reasons.map((r) => (
              <li key={`${r.status}:${r.reason}`}>
                <span className="status-chip">{r.status}</span> {r.reason} <span className="muted">× {r.count.toLocaleString()}</span>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {!list ? null : list.rules.length === 0 ? (
        <EmptyState title="No rule matches">Clear a filter or import a rule folder.</EmptyState>
      ) : (
        <div className="split">
          <div className="card scroll-box">
            <table className="data-table" data-testid="rule-list">
              <thead>
                <tr>
                  <th scope="col">
                    <span className="visually-hidden">Select</span>
                  </th>
                  <th scope="col">On</th>
                  <th scope="col">Level</th>
                  <th scope="col">Rule</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Alerts
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.rules.map((r) => (
                  <tr key={r.id} className={selected === r.id ? 'selected' : undefined} data-rule={r.id}>
                    <td>
                      <input type="checkbox" checked={checked.has(r.id)} onChange={(e) => setChecked((c) => new Set(e.target.checked ? [...c, r.id] : [...c].filter((x) => x !== r.id)))} aria-label={`Select ${r.title}`} />
                    </td>
                    <td>
                      <input type="checkbox" role="switch" checked={r.enabled} onChange={(e) => void setEnabledFor([r.id], e.target.checked)} aria-label={`${r.title} enabled`} data-testid="rule-enabled" />
                    </td>
                    <td>
                      <span className={`sev sev-${r.level ?? 'informational'}`}>{r.level ?? '—'}</span>
                    </td>
                    <td>
                      <button type="button" className="link-button" onClick={() => setSelected(r.id)} data-testid="open-rule">
                        {r.title || r.id}
                      </button>
                      <div className="muted small-note">{r.targets.join(', ') || r.path}</div>
                    </td>
                    <td>
                      <span className={`status-chip state-${r.status === 'active' ? 'ok' : r.status === 'error' ? 'error' : 'missing'}`} title={r.reason}>
                        {r.status}
                      </span>
                      {r.suppressed ? (
                        <span className="status-chip" title="Suppressed: its hits are not alerted on">
                          suppressed
                        </span>
                      ) : null}
                      {r.status !== 'active' ? <div className="muted small-note">{r.reason}</div> : null}
                    </td>
                    <td className="num">{r.alerts > 0 ? <a href={alertsHref({ rule: r.id })}>{r.alerts.toLocaleString()}</a> : '0'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="toolbar">
              <button type="button" className="ghost small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
                ← Previous
              </button>
              <span className="muted small-note">
                {(offset + 1).toLocaleString()}–{Math.min(offset + PAGE, list.total).toLocaleString()} of {list.total.toLocaleString()}
              </span>
              <button type="button" className="ghost small" disabled={offset + PAGE >= list.total} onClick={() => setOffset(offset + PAGE)}>
                Next →
              </button>
            </div>
          </div>
          {selected ? <RulePane id={selected} tick={tick} onChanged={reload} /> : <div className="detail-pane muted">Select a rule to see its text, the SQL it runs as, and why it cannot run where it cannot.</div>}
        </div>
      )}
    </section>
  );
}

/** What the analyst told Loupe to stop alerting on, each undoable (new runs alert again). */
function Suppressions({ tick, onChanged }: { tick: number; onChanged(): void }) {
  const api = useApi();
  const [list, setList] = useState<Suppression[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stale = false;
    api.listSuppressions({}).then(
      (r) => !stale && setList(r.suppressions),
      (e: Error) => !stale && setError(e.message),
    );
    return () => {
      stale = true;
    };
  }, [api, tick]);
  const remove = (id: number) =>
    void api.removeSuppression({ id }).then(
      () => {
        setError(null);
        onChanged();
      },
      (e: Error) => setError(e.message),
    );
  if (list === null && !error) return null;
  return (
    <details className="card" data-testid="suppressions" open={(list?.length ?? 0) > 0 && (list?.length ?? 0) <= 5}>
      <summary>
        Suppressions <span className="muted">({(list?.length ?? 0).toLocaleString()})</span>
      </summary>
      {error ? (
        <p className="form-error small-note" role="alert">
          {error}
        </p>
      ) : null}
      {list && list.length === 0 ? (
        <p className="muted small-note">Nothing is suppressed. Suppress a rule, or a rule on one host, from an alert in the Alerts view.</p>
      ) : list ? (
        <>
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Where</th>
                <th scope="col">Note</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((x) => (
                <tr key={x.id} data-suppression={x.id}>
                  <td className="mono small-note">{x.ruleId ? <a href={`#/rules?rule=${encodeURIComponent(x.ruleId)}`}>{x.ruleId}</a> : 'every rule'}</td>
                  <td>{x.field ? `${x.field} = ${x.value ?? ''}` : 'everywhere'}</td>
                  <td className="small-note">{x.note ?? ''}</td>
                  <td className="mono time">{formatTime(x.createdAt, 'min')}</td>
                  <td>
                    <button type="button" className="ghost small" onClick={() => remove(x.id)} aria-label={`Remove suppression ${x.id}`} data-testid="remove-suppression">
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small-note">Removing a suppression alerts again from the next run (Run all rules now, in Alerts).</p>
        </>
      ) : null}
    </details>
  );
}

function RulePane({ id, tick, onChanged }: { id: string; tick: number; onChanged(): void }) {
  const api = useApi();
  const [r, setR] = useState<RuleDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [run, setRun] = useState<{ busy: boolean; result: RunSummary | null; error: string | null }>({ busy: false, result: null, error: null });
  useEffect(() => {
    setR(null);
    setError(null);
    setRun({ busy: false, result: null, error: null });
    api.getRule({ id }).then(setR, (e: Error) => setError(e.message));
  }, [api, id]);
  // The list changed (a switch, a run): refresh the facts, keep the run's outcome.
  useEffect(() => {
    if (tick === 0) return;
    let stale = false;
    api.getRule({ id }).then(
      (x) => !stale && setR(x),
      () => undefined,
    );
    return () => {
      stale = true;
    };
  }, [api, id, tick]);
  if (error) return <ErrorState title="This rule could not load" message={error} />;
  if (!r)
    return (
      <div className="detail-pane" role="status">
        Loading…
      </div>
    );
  const runNow = async () => {
    setRun({ busy: true, result: null, error: null });
    try {
      setRun({ busy: false, result: await api.runRules({ ruleId: r.id, scope: 'all' }), error: null });
      onChanged();
    } catch (e) {
      setRun({ busy: false, result: null, error: (e as Error).message });
    }
  };
  return (
    <aside className="detail-pane" aria-labelledby="rule-title" data-testid="rule-detail">
      <header className="entity-head">
        <span className={`sev sev-${r.level ?? 'informational'}`}>{r.level ?? '—'}</span>
        <h2 id="rule-title">{r.title || r.id}</h2>
      </header>
      <p className="muted small-note mono">
        {r.id} · {r.path}
        {r.line ? `:${r.line}` : ''}
      </p>
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <span className={r.status === 'active' ? 'state-ok' : 'state-error'}>{r.status}</span>
          {r.status !== 'active' ? ` — ${r.reason}` : ''}
        </dd>
        <dt>Runs on</dt>
        <dd>{r.targets.length ? r.targets.join(', ') : <span className="muted">no source of this case</span>}</dd>
        {r.logsource ? (
          <>
            <dt>Logsource</dt>
            <dd className="mono">
              {Object.entries(r.logsource)
                .map(([k, v]) => `${k}: ${v}`)
                .join(' · ')}
            </dd>
          </>
        ) : null}
        {r.tags.length ? (
          <>
            <dt>Tags</dt>
            <dd>
              {r.tags.map((t) => (
                <span key={t} className="attack-tag">
                  {t}
                </span>
              ))}
            </dd>
          </>
        ) : null}
        <dt>Alerts</dt>
        <dd>
          {r.alerts > 0 ? <a href={alertsHref({ rule: r.id })}>{r.alerts.toLocaleString()} alert{r.alerts === 1 ? '' : 's'}</a> : 'none'} · <a href={searchHref({ query: termFor('rule', r.id) })}>its events</a>
        </dd>
      </dl>
      {r.description ? <p>{r.description}</p> : null}
      <div className="toolbar">
        <button type="button" className="small" onClick={() => void runNow()} disabled={run.busy || r.status !== 'active'} data-testid="run-rule">
          {run.busy ? 'Running…' : 'Run this rule now'}
        </button>
        <button type="button" className="secondary small" onClick={() => void api.setRulesEnabled({ ids: [r.id], enabled: !r.enabled }).then(onChanged, (e: Error) => setRun({ busy: false, result: null, error: e.message }))} data-testid="rule-toggle">
          {r.enabled ? 'Disable' : 'Enable'}
        </button>
      </div>
      {run.result ? (
        <p className="form-ok small-note" role="status" data-testid="run-rule-result">
          {run.result.hits.toLocaleString()} matching events, {run.result.alertsNew} new and {run.result.alertsUpdated} updated alerts in {(run.result.ms / 1000).toFixed(1)} s.
        </p>
      ) : null}
      {run.error ? (
        <p className="form-error small-note" role="alert">
          {run.error}
        </p>
      ) : null}
      {r.notApplicable.length ? (
        <>
          <h3>Sources it cannot run on</h3>
          <ul className="plain-list">
            {r.notApplicable.map((n) => (
              <li key={`${n.source}:${n.target}`}>
                <span className="mono">{n.source}</span> ({n.target}): {n.reason}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h3>Rule</h3>
      {r.yaml ? <CodeBlock label="The rule's YAML">{r.yaml}</CodeBlock> : <p className="muted">The rule file can no longer be read.</p>}
      <h3>SQL</h3>
      {r.sql.length === 0 ? (
        <p className="muted">{r.status === 'active' ? 'No source of this case has what it reads.' : 'Nothing: the rule does not compile.'}</p>
      ) : (
        r.sql.map((s) => (
          <div key={s.target}>
            <p className="muted small-note">
              {s.target}
              {s.sources.length ? ` · reads ${s.sources.join(', ')}` : ''}
            </p>
            <CodeBlock label={`The SQL for ${s.target}`} testId="rule-sql">
              {s.sql}
            </CodeBlock>
            {Object.keys(s.params).length ? <CodeBlock label={`The parameters of the SQL for ${s.target}`} className="small-note">
                {JSON.stringify(s.params, null, 1)}
              </CodeBlock> : null}
          </div>
        ))
      )}
    </aside>
  );
}
