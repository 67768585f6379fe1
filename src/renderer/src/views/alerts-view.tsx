import { useCallback, useEffect, useMemo, useState } from 'react';
import { ALERT_STATUSES, type AlertRuleGroup, type AlertStatus, type AlertSummary, type OpOutput, type RunSummary } from '@shared/contract';
import { SEVERITIES, type Severity } from '@shared/events';
import { termFor } from '@shared/search-terms';
import { useApi, usePushEvent } from '../api/context';
import { useAppState } from '../app-state';
import { CodeBlock } from '../components/code-block';
import { EmptyState, ErrorState } from '../components/empty-state';
import { EntityLink } from '../components/entity-link';
import { entityKindOf } from '../lib/entities';
import { formatTime, zoneLabel } from '../lib/format';
import { go, hashParam, searchHref } from '../lib/nav';
import '../hunt.css';
import '../overview.css';

const LEVELS: Severity[] = [...SEVERITIES].reverse();
const STATUS_LABEL: Record<AlertStatus, string> = { new: 'new', acknowledged: 'acknowledged', 'false-positive': 'false positive', escalated: 'escalated' };
type AlertList = OpOutput<'listAlerts'>;
type AlertSort = 'level' | 'lastSeen' | 'firstSeen' | 'count';
const SORT_LABEL: Record<AlertSort, string> = { level: 'level', lastSeen: 'last seen', firstSeen: 'first seen', count: 'events' };
type AlertDetail = OpOutput<'getAlert'>;

/** Where an alert fired: its host, or a correlation's group values (named as the search language names fields). */
function alertPlace(a: AlertSummary): string {
  if (a.host) return `host ${a.host}`;
  if (!a.group) return a.groupKey;
  return Object.entries(a.group)
    .map(([k, v]) => `${k.replace(/^loupe\./, '')} ${v ?? '(none)'}`)
    .join(', ');
}

function plural(n: number, what: string): string {
  return `${n.toLocaleString()} ${what}${n === 1 ? '' : 's'}`;
}

function toggle<T>(list: T[], v: T): T[] {
  return list.includes(v) ? list.filter((x) => x !== v) : [...list, v];
}

/**
 * Sigma alerts grouped by rule: level colours, counts, first/last seen and
 * ATT&CK techniques; filters by level, status and rule; one alert's events,
 * rule text and triage (status, note, suppress), alone or in bulk.
 */
export function AlertsView() {
  const api = useApi();
  const { caseInfo } = useAppState();
  const [levels, setLevels] = useState<Severity[]>([]);
  const [statuses, setStatuses] = useState<AlertStatus[]>(() => (hashParam('alert') ? [] : ['new', 'acknowledged', 'escalated']));
  const [ruleFilter, setRuleFilter] = useState<string | null>(() => hashParam('rule'));
  const [text, setText] = useState('');
  const [sort, setSort] = useState<AlertSort>('level');
  const [groups, setGroups] = useState<AlertList | null>(null);
  const [caseAlerts, setCaseAlerts] = useState<number | null>(null);
  const [tagsByRule, setTagsByRule] = useState<Map<string, string[]>>(new Map());
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set(hashParam('rule') ? [hashParam('rule') as string] : []));
  const [selectedId, setSelectedId] = useState<number | null>(() => (hashParam('alert') ? Number(hashParam('alert')) : null));
  const [checked, setChecked] = useState<Map<number, AlertSummary>>(new Map());
  const [bulkMsg, setBulkMsg] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [run, setRun] = useState<{ busy: boolean; result: RunSummary | null; error: string | null }>({ busy: false, result: null, error: null });

  const reload = useCallback(() => setTick((t) => t + 1), []);
  usePushEvent('alertsUpdated', reload);
  // A link to another rule or alert while this view is open (the view stays mounted).
  useEffect(() => {
    const onHash = () => {
      if (!window.location.hash.startsWith('#/alerts')) return;
      const rule = hashParam('rule');
      const alert = hashParam('alert');
      setRuleFilter(rule);
      if (rule) setExpanded((x) => new Set([...x, rule]));
      if (alert) {
        setSelectedId(Number(alert));
        setStatuses([]);
      }
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const caseKey = `${caseInfo?.id ?? ''}:${caseInfo?.events ?? 0}`;

  const filter = useMemo(
    () => ({
      ...(levels.length ? { levels } : {}),
      ...(statuses.length ? { statuses } : {}),
      ...(ruleFilter ? { ruleIds: [ruleFilter] } : {}),
      ...(text.trim() ? { text: text.trim() } : {}),
    }),
    [levels, statuses, ruleFilter, text],
  );

  useEffect(() => {
    let stale = false;
    setError(null);
    const t = setTimeout(
      () => {
        Promise.all([api.listAlerts({ ...filter, groupBy: 'rule', sort, limit: 500 }), api.listAlerts({ ...filter, groupBy: 'none', sort: 'level', limit: 1000 }), api.getDetectionStatus({})]).then(
          ([g, a, st]) => {
            if (stale) return;
            setGroups(g);
            setCaseAlerts(st.alerts);
            const tags = new Map<string, string[]>();
            for (const al of a.alerts) tags.set(al.ruleId, [...new Set([...(tags.get(al.ruleId) ?? []), ...al.attack])]);
            setTagsByRule(tags);
          },
          (e: Error) => !stale && setError(e.message),
        );
      },
      text ? 250 : 0,
    );
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [api, filter, sort, text, caseKey, tick]);

  const clearFilters = () => {
    setLevels([]);
    setStatuses([]);
    setRuleFilter(null);
    setText('');
  };

  const runAll = async () => {
    setRun({ busy: true, result: null, error: null });
    try {
      setRun({ busy: false, result: await api.runRules({ scope: 'all' }), error: null });
      reload();
    } catch (e) {
      setRun({ busy: false, result: null, error: (e as Error).message });
    }
  };

  const byLevel = groups?.counts.byLevel;
  const byStatus = groups?.counts.byStatus ?? {};
  return (
    <section className="view" aria-labelledby="view-title" data-view="alerts" data-state={error ? 'error' : groups ? (groups.total === 0 ? 'empty' : 'ready') : 'loading'}>
      <header className="view-header">
        <h1 id="view-title">Alerts</h1>
        {groups ? (
          <span className="muted">
            {groups.total.toLocaleString()} rule{groups.total === 1 ? '' : 's'} with alerts
          </span>
        ) : null}
        <span className="grow" />
        <button type="button" className="secondary" onClick={() => void runAll()} disabled={run.busy} data-testid="run-rules">
          {run.busy ? 'Running rules…' : 'Run all rules now'}
        </button>
      </header>
      {run.result ? (
        <p className="form-ok small-note" role="status" data-testid="run-result">
          {run.result.rules.toLocaleString()} rules over {run.result.throughEvent === null ? 'no' : 'every'} event in {(run.result.ms / 1000).toFixed(1)} s: {plural(run.result.alertsNew, 'new alert')}, {run.result.alertsUpdated.toLocaleString()} updated
          {run.result.failures.length ? `, ${run.result.failures.length} rule(s) failed` : ''}.
        </p>
      ) : null}
      {run.error ? (
        <p className="form-error small-note" role="alert">
          {run.error}
        </p>
      ) : null}
      <div className="toolbar" role="group" aria-label="Filters">
        <span className="muted small-note">Level</span>
        {LEVELS.map((l) => (
          <button key={l} type="button" className="filter-chip" aria-pressed={levels.includes(l)} onClick={() => setLevels((x) => toggle(x, l))} data-testid={`level-${l}`}>
            <span className={`sev sev-${l}`}>{l}</span> {byLevel ? (byLevel[l] ?? 0).toLocaleString() : ''}
          </button>
        ))}
        <span className="muted small-note">Status</span>
        {ALERT_STATUSES.map((s) => (
          <button key={s} type="button" className="filter-chip" aria-pressed={statuses.includes(s)} onClick={() => setStatuses((x) => toggle(x, s))} data-testid={`status-${s}`}>
            {STATUS_LABEL[s]} {(byStatus[s] ?? 0).toLocaleString()}
          </button>
        ))}
        <label className="inline">
          Sort
          <select value={sort} onChange={(e) => setSort(e.target.value as AlertSort)} data-testid="alerts-sort">
            {(Object.keys(SORT_LABEL) as AlertSort[]).map((k) => (
              <option key={k} value={k}>
                {SORT_LABEL[k]}
              </option>
            ))}
          </select>
        </label>
        <input className="grow" value={text} onChange={(e) => setText(e.target.value)} placeholder="Filter by title, rule id or host" aria-label="Filter alerts" data-testid="alerts-filter" />
        {ruleFilter ? (
          <button type="button" className="filter-chip" aria-pressed onClick={() => setRuleFilter(null)} title="Show every rule">
            rule {ruleFilter.slice(0, 12)} ✕
          </button>
        ) : null}
      </div>
      {checked.size > 0 ? (
        <BulkBar
          alerts={[...checked.values()]}
          onDone={(m) => {
            setBulkMsg(m);
            setChecked(new Map());
            reload();
          }}
          onError={setBulkMsg}
        />
      ) : null}
      {bulkMsg ? (
        <p className="muted small-note" role="status" data-testid="bulk-outcome">
          {bulkMsg}
        </p>
      ) : null}
      {error ? (
        <ErrorState title="The alerts could not load" message={error} onRetry={reload} />
      ) : !groups ? (
        <div className="loading-state" role="status">
          Loading…
        </div>
      ) : groups.groups.length === 0 ? (
        caseAlerts === 0 ? (
          <EmptyState title="No alerts in this case">Rules run after every import and found nothing to alert on; run them now, or import more evidence. The Rules view lists what runs.</EmptyState>
        ) : (
          <EmptyState
            title="No alert matches these filters"
            action={
              <button type="button" className="secondary" onClick={clearFilters} data-testid="clear-filters">
                Clear the filters
              </button>
            }
          >
            {caseAlerts === null ? null : `The case has ${caseAlerts.toLocaleString()} alert${caseAlerts === 1 ? '' : 's'} in all.`}
          </EmptyState>
        )
      ) : (
        <div className="split wide-left">
          <div className="card scroll-box" data-testid="alert-groups">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">
                    <span className="visually-hidden">Select</span>
                  </th>
                  <th scope="col">Rule</th>
                  <th scope="col">Level</th>
                  <th scope="col" className="num">
                    Alerts
                  </th>
                  <th scope="col" className="num">
                    Events
                  </th>
                  <th scope="col">First / last seen ({zoneLabel()})</th>
                </tr>
              </thead>
              <tbody>
                {groups.groups.map((g) => (
                  <GroupRows
                    key={g.ruleId}
                    group={g}
                    tags={tagsByRule.get(g.ruleId) ?? []}
                    open={expanded.has(g.ruleId)}
                    onToggle={() => setExpanded((x) => new Set(toggle([...x], g.ruleId)))}
                    filter={filter}
                    selectedId={selectedId}
                    onSelect={setSelectedId}
                    checked={checked}
                    onCheck={(list, on) =>
                      setChecked((c) => {
                        const next = new Map(c);
                        for (const a of list) {
                          if (on) next.set(a.id, a);
                          else next.delete(a.id);
                        }
                        return next;
                      })
                    }
                    tick={tick}
                  />
                ))}
              </tbody>
            </table>
          </div>
          {selectedId !== null ? <AlertDetailPane id={selectedId} onChanged={reload} onClose={() => setSelectedId(null)} onRule={(r) => setExpanded((x) => (x.has(r) ? x : new Set([...x, r])))} /> : <div className="detail-pane muted">Select an alert to see its events, its rule and to triage it.</div>}
        </div>
      )}
    </section>
  );
}

function GroupRows(props: {
  group: AlertRuleGroup;
  tags: string[];
  open: boolean;
  onToggle(): void;
  filter: Record<string, unknown>;
  selectedId: number | null;
  onSelect(id: number): void;
  checked: Map<number, AlertSummary>;
  onCheck(alerts: AlertSummary[], on: boolean): void;
  tick: number;
}) {
  const api = useApi();
  const { group: g, open } = props;
  const [alerts, setAlerts] = useState<AlertSummary[] | null>(null);
  useEffect(() => {
    if (!open) return;
    let stale = false;
    api.listAlerts({ ...props.filter, ruleIds: [g.ruleId], groupBy: 'none', sort: 'lastSeen', limit: 1000 }).then(
      (r) => !stale && setAlerts(r.alerts),
      () => !stale && setAlerts([]),
    );
    return () => {
      stale = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, open, g.ruleId, JSON.stringify(props.filter), props.tick]);
  const ids = alerts?.map((a) => a.id) ?? [];
  const all = ids.length > 0 && ids.every((i) => props.checked.has(i));
  return (
    <>
      <tr className={`group-row level-${g.level ?? 'none'}`} data-rule={g.ruleId}>
        <td>
          <button type="button" className="ghost small" aria-expanded={open} aria-label={`${open ? 'Hide' : 'Show'} the alerts of ${g.title}`} onClick={props.onToggle}>
            {open ? '▾' : '▸'}
          </button>
        </td>
        <td>
          <div className="group-title-cell">
            <button
              type="button"
              className="link-button group-title"
              onClick={() => {
                // One alert in the rule: open it; several: show them.
                if (g.alerts === 1 && alerts?.[0]) props.onSelect(alerts[0].id);
                else if (g.alerts === 1) void api.listAlerts({ ruleIds: [g.ruleId], groupBy: 'none', limit: 1 }).then((r) => r.alerts[0] && props.onSelect(r.alerts[0].id));
                if (!open) props.onToggle();
              }}
              data-testid="alert-group"
            >
              {g.title}
            </button>
            {props.tags.map((t) => (
              <span key={t} className="attack-tag" title="MITRE ATT&CK technique">
                {t}
              </span>
            ))}
          </div>
        </td>
        <td>
          <span className={`sev sev-${g.level ?? 'informational'}`}>{g.level ?? '—'}</span>
        </td>
        <td className="num">{g.alerts.toLocaleString()}</td>
        <td className="num">
          <a href={searchHref({ query: termFor('rule', g.ruleId) })} aria-label={`Search the ${g.count} events of ${g.title}`}>
            {g.count.toLocaleString()}
          </a>
        </td>
        <td className="mono time">
                {formatTime(g.firstSeen, 's')}
                <div className="muted">{formatTime(g.lastSeen, 's')}</div>
              </td>
      </tr>
      {open && alerts === null ? (
        <tr>
          <td />
          <td colSpan={5} className="muted">
            Loading…
          </td>
        </tr>
      ) : null}
      {open && alerts && alerts.length > 1 ? (
        <tr className="sub-row">
          <td>
            <input type="checkbox" checked={all} onChange={(e) => props.onCheck(alerts, e.target.checked)} aria-label={`Select every alert of ${g.title}`} />
          </td>
          <td colSpan={5} className="muted small-note">
            select all {alerts.length}
            {g.alerts > alerts.length ? ` (the ${alerts.length.toLocaleString()} most recent of ${g.alerts.toLocaleString()}; filters narrow them)` : ''}
          </td>
        </tr>
      ) : null}
      {open && alerts
        ? alerts.map((a) => (
            <tr key={a.id} className={`sub-row${a.id === props.selectedId ? ' selected' : ''}`} data-alert={a.id}>
              <td>
                <input type="checkbox" checked={props.checked.has(a.id)} onChange={(e) => props.onCheck([a], e.target.checked)} aria-label={`Select alert ${a.id}`} />
              </td>
              <td>
                <button type="button" className="link-button" onClick={() => props.onSelect(a.id)} data-testid="open-alert">
                  {alertPlace(a)}
                </button>{' '}
                <span className={`status-chip status-${a.status}`}>{STATUS_LABEL[a.status]}</span>
              </td>
              <td />
              <td />
              <td className="num">{a.count.toLocaleString()}</td>
              <td className="mono time">
                {formatTime(a.firstSeen, 's')}
                <div className="muted">{formatTime(a.lastSeen, 's')}</div>
              </td>
            </tr>
          ))
        : null}
    </>
  );
}

function BulkBar({ alerts, onDone, onError }: { alerts: AlertSummary[]; onDone(message: string): void; onError(message: string): void }) {
  const api = useApi();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const ids = alerts.map((a) => a.id);
  // One suppression per rule and host among the selected alerts (correlations have no host).
  const pairs = [...new Map(alerts.filter((a) => a.host).map((a) => [`${a.ruleId}\u0000${a.host}`, { ruleId: a.ruleId, host: a.host as string }])).values()];
  const act = async (fn: () => Promise<string>) => {
    setBusy(true);
    try {
      onDone(await fn());
    } catch (e) {
      onError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const updated = (n: number) => `${plural(n, 'alert')} updated.`;
  return (
    <div className="toolbar bulk-bar" role="group" aria-label="Bulk actions" data-testid="bulk-bar">
      <strong>{ids.length} selected</strong>
      {(['acknowledged', 'escalated', 'false-positive', 'new'] as const).map((s) => (
        <button key={s} type="button" className="secondary small" disabled={busy} onClick={() => void act(async () => updated((await api.triageAlerts({ ids, status: s })).updated))} data-testid={`bulk-${s}`}>
          Mark {STATUS_LABEL[s]}
        </button>
      ))}
      <input value={note} onChange={(e) => setNote(e.target.value)} placeholder="Note for all selected" aria-label="Note for the selected alerts" />
      <button type="button" className="secondary small" disabled={busy || !note.trim()} onClick={() => void act(async () => updated((await api.triageAlerts({ ids, note: note.trim() })).updated))}>
        Add note
      </button>
      {pairs.length ? (
        <button
          type="button"
          className="secondary small"
          disabled={busy}
          title="For each selected alert: stop alerting on its rule on its host, and remove those alerts"
          onClick={() =>
            void act(async () => {
              let removed = 0;
              for (const p of pairs) removed += (await api.addSuppression({ ruleId: p.ruleId, field: 'host', value: p.host, note: note.trim() || undefined, retroactive: true })).removedAlerts;
              return `${plural(pairs.length, 'suppression')} added (rule on host): ${plural(removed, 'alert')} removed. Undo under Rules › Suppressions.`;
            })
          }
          data-testid="bulk-suppress-host"
        >
          Suppress on their hosts
        </button>
      ) : null}
    </div>
  );
}

function AlertDetailPane({ id, onChanged, onClose, onRule }: { id: number; onChanged(): void; onClose(): void; onRule(ruleId: string): void }) {
  const api = useApi();
  const [d, setD] = useState<AlertDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  const [showSql, setShowSql] = useState(false);
  const [gone, setGone] = useState(false);
  const [confirmRule, setConfirmRule] = useState(false);
  const [sql, setSql] = useState<OpOutput<'getRule'>['sql'] | null>(null);

  // The note box takes the stored note only when the alert opens: a reload after a
  // status change must not wipe what the analyst is typing.
  const load = useCallback(
    (withNote: boolean) => {
      api.getAlert({ id, limit: 20 }).then(
        (r) => {
          setD(r);
          if (withNote) {
            setNote(r.alert.note ?? '');
            // Opened by a link: show it in its rule's list too.
            onRule(r.alert.ruleId);
          }
        },
        (e: Error) => setError(e.message),
      );
    },
    // onRule is a fresh closure each render; only the alert decides what to load.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, id],
  );
  useEffect(() => {
    setD(null);
    setError(null);
    setMsg(null);
    setSql(null);
    setShowSql(false);
    setGone(false);
    setConfirmRule(false);
    load(true);
  }, [load]);

  if (error) return <ErrorState title="This alert could not load" message={error} />;
  if (!d)
    return (
      <div className="detail-pane" role="status">
        Loading…
      </div>
    );
  const a = d.alert;
  const triage = async (status: AlertStatus | undefined, withNote: boolean) => {
    try {
      await api.triageAlerts({ ids: [a.id], ...(status ? { status } : {}), ...(withNote ? { note: note.trim() || null } : {}) });
      setMsg('Saved.');
      load(false);
      onChanged();
    } catch (e) {
      setMsg((e as Error).message);
    }
  };
  const suppress = async (field?: string, value?: string) => {
    setConfirmRule(false);
    try {
      const r = await api.addSuppression({ ruleId: a.ruleId, ...(field && value ? { field, value } : {}), note: note.trim() || undefined, retroactive: true });
      // A retroactive suppression usually deletes this very alert: say so rather than offer triage of nothing.
      const still = await api.getAlert({ id: a.id, limit: 1 }).then(
        () => true,
        () => false,
      );
      setGone(!still);
      setMsg(
        `Suppressed: ${r.removedAlerts.toLocaleString()} alert${r.removedAlerts === 1 ? '' : 's'} and ${r.removedLinks.toLocaleString()} event link${r.removedLinks === 1 ? '' : 's'} removed${still ? '' : ', this one included'}. Undo it under Rules › Suppressions.`,
      );
      onChanged();
    } catch (e) {
      setMsg((e as Error).message);
    }
  };
  return (
    <aside className="detail-pane" aria-labelledby="alert-title" data-testid="alert-detail">
      <header className="entity-head">
        <span className={`sev sev-${a.level ?? 'informational'}`}>{a.level ?? '—'}</span>
        <h2 id="alert-title">{a.title}</h2>
        <span className="grow" />
        <button type="button" className="ghost small" onClick={onClose} aria-label="Close the alert">
          ✕
        </button>
      </header>
      <dl className="facts">
        <dt>Alert</dt>
        <dd>
          #{a.id} · {a.kind} · <span className={`status-chip status-${a.status}`}>{STATUS_LABEL[a.status]}</span>
        </dd>
        <dt>Where</dt>
        <dd>
          {a.host ? (
            <EntityLink kind="host" value={a.host} />
          ) : a.group ? (
            Object.entries(a.group).map(([k, v], i) => {
              const field = k.replace(/^loupe\./, '');
              const kind = v === null ? null : entityKindOf(field, v);
              return (
                <span key={k}>
                  {i ? ', ' : ''}
                  {field} {kind && v !== null ? <EntityLink kind={kind} value={v} /> : (v ?? '(none)')}
                </span>
              );
            })
          ) : (
            a.groupKey
          )}
        </dd>
        <dt>Seen</dt>
        <dd className="mono">
          {formatTime(a.firstSeen, 's')} → {formatTime(a.lastSeen, 's')} {zoneLabel(a.firstSeen)}
        </dd>
        <dt>Events</dt>
        <dd>
          <a href={searchHref({ query: `alert:${a.id}` })} data-testid="alert-events-link">
            {a.count.toLocaleString()} matching events
          </a>
          {' · '}
          <a href={searchHref({ query: termFor('rule', a.ruleId) })}>all events of the rule</a>
        </dd>
        {a.attack.length ? (
          <>
            <dt>ATT&amp;CK</dt>
            <dd>
              {a.attack.map((t) => (
                <span key={t} className="attack-tag">
                  {t}
                </span>
              ))}
            </dd>
          </>
        ) : null}
      </dl>
      <h3>Triage</h3>
      {gone ? (
        <p className="form-ok small-note" role="status" data-testid="triage-outcome">
          {msg}
        </p>
      ) : (
        <>
          <div className="toolbar">
            {ALERT_STATUSES.map((s) => (
              <button key={s} type="button" className={a.status === s ? 'small' : 'secondary small'} aria-pressed={a.status === s} onClick={() => void triage(s, false)} data-testid={`triage-${s}`}>
                {STATUS_LABEL[s]}
              </button>
            ))}
          </div>
          <label>
            Note
            <textarea rows={3} value={note} onChange={(e) => setNote(e.target.value)} data-testid="alert-note" />
          </label>
          <div className="toolbar">
            <button type="button" className="small" onClick={() => void triage(undefined, true)} data-testid="save-note">
              Save note
            </button>
            <button
              type="button"
              className={confirmRule ? 'danger small' : 'secondary small'}
              onClick={() => (confirmRule ? void suppress() : setConfirmRule(true))}
              onBlur={() => setConfirmRule(false)}
              title="Stop alerting on this rule and remove its existing alerts"
              data-testid="suppress-rule"
            >
              {confirmRule ? 'Confirm: suppress the whole rule' : 'Suppress this rule'}
            </button>
            {a.host ? (
              <button type="button" className="secondary small" onClick={() => void suppress('host', a.host ?? '')} data-testid="suppress-host">
                Suppress on host {a.host}
              </button>
            ) : null}
          </div>
          {msg ? (
            <p className="muted small-note" role="status" data-testid="triage-outcome">
              {msg}
            </p>
          ) : null}
        </>
      )}
      <h3>Matching events</h3>
      <ul className="plain-list">
        {d.events.items.map((e) => (
          <li key={e.id}>
            <span className="mono">{formatTime(e.ts, 's')}</span> {e.host ? <EntityLink kind="host" value={e.host} /> : null} <span className="muted">{e.message?.slice(0, 160)}</span>
          </li>
        ))}
      </ul>
      {d.events.total > d.events.items.length ? (
        <a href={searchHref({ query: `alert:${a.id}` })}>All {d.events.total.toLocaleString()} in Search</a>
      ) : null}
      <h3>Rule</h3>
      {d.rule ? (
        <>
          {d.rule.description ? <p>{d.rule.description}</p> : null}
          <p className="muted small-note">
            {d.rule.path} · <a href={`#/rules?rule=${encodeURIComponent(d.rule.id)}`}>open in Rules</a>
          </p>
          {d.rule.yaml ? <CodeBlock label="The rule's YAML" testId="rule-yaml">
              {d.rule.yaml}
            </CodeBlock> : <p className="muted">The rule file can no longer be read.</p>}
          <button
            type="button"
            className="ghost small"
            aria-expanded={showSql}
            onClick={() => {
              setShowSql((x) => !x);
              if (!sql) api.getRule({ id: a.ruleId }).then((r) => setSql(r.sql), () => setSql([]));
            }}
          >
            {showSql ? 'Hide' : 'Show'} the SQL it runs as
          </button>
          {showSql ? (sql ? sql.map((s) => <CodeBlock key={s.target} label={`The SQL for ${s.target}`}>{`-- ${s.target}\n${s.sql}`}</CodeBlock>) : <p className="muted">Compiling…</p>) : null}
        </>
      ) : (
        <p className="muted">This rule is no longer in the case’s rule set.</p>
      )}
    </aside>
  );
}

export function openAlert(id: number): void {
  go(`#/alerts?alert=${id}`);
}
