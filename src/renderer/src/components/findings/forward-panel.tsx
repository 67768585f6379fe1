import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { Destination, ForwardLogEntry, ForwardRun } from '@shared/findings-contract';
import { useApi, usePushEvent } from '../../api/context';
import { formatTs } from '../../lib/format';
import { DEFAULT_SOURCE, SourcePicker, toSource, type SourceDraft } from './source-picker';

interface DestDraft {
  name: string;
  kind: 'splunk-hec' | 'elastic-bulk';
  url: string;
  index: string;
  authScheme: 'ApiKey' | 'Basic' | 'Bearer';
  token: string;
}

const EMPTY_DEST: DestDraft = { name: '', kind: 'splunk-hec', url: '', index: '', authScheme: 'ApiKey', token: '' };

type Live = { state: string; selected: number; skipped: number; sent: number; failed: number; retried: number };

function latency(r: ForwardRun | null): string {
  if (!r || r.latencyMs.p50 === null) return '—';
  return `p50 ${r.latencyMs.p50} ms · p95 ${r.latencyMs.p95 ?? '—'} ms`;
}

/**
 * Hand-off when back online: destinations of the case (the token is write-only
 * here: it is stored in the case and never shown again), their health and
 * metrics, and runs that send alerts or events with live counts.
 */
export function ForwardPanel({ caseKey }: { caseKey: string }) {
  const api = useApi();
  const [dests, setDests] = useState<Destination[] | null>(null);
  const [draft, setDraft] = useState<DestDraft | null>(null);
  const [health, setHealth] = useState<Record<string, { ok: boolean; detail: string; latencyMs: number } | 'checking'>>({});
  const [target, setTarget] = useState('');
  const [source, setSource] = useState<SourceDraft>({ ...DEFAULT_SOURCE, kind: 'alerts' });
  const [resend, setResend] = useState(false);
  const [live, setLive] = useState<Live | null>(null);
  const [run, setRun] = useState<ForwardRun | null>(null);
  const [failures, setFailures] = useState<ForwardLogEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const job = useRef<string | null>(null);

  const load = useCallback(async () => {
    try {
      const d = await api.listDestinations({});
      setDests(d);
      setTarget((t) => (t && d.some((x) => x.name === t) ? t : (d[0]?.name ?? '')));
    } catch (e) {
      setError((e as Error).message);
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load, caseKey]);

  usePushEvent('forwardProgress', (p) => {
    if (p.forwardId === job.current) setLive({ state: p.state, selected: p.selected, skipped: p.skipped, sent: p.sent, failed: p.failed, retried: p.retried });
  });

  const saveDest = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft) return;
    setError(null);
    try {
      await api.saveDestination({
        name: draft.name,
        kind: draft.kind,
        url: draft.url,
        ...(draft.index.trim() ? { index: draft.index.trim() } : {}),
        ...(draft.kind === 'elastic-bulk' ? { authScheme: draft.authScheme } : {}),
        ...(draft.token ? { token: draft.token } : {}),
      });
      setDraft(null);
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const check = async (name: string) => {
    setHealth((h) => ({ ...h, [name]: 'checking' }));
    try {
      const r = await api.checkDestination({ name });
      setHealth((h) => ({ ...h, [name]: r }));
    } catch (e) {
      setHealth((h) => ({ ...h, [name]: { ok: false, detail: (e as Error).message, latencyMs: 0 } }));
    }
  };

  const remove = async (name: string) => {
    if (!window.confirm(`Remove the destination "${name}" and its token? The log of what was sent stays.`)) return;
    await api.deleteDestination({ name });
    await load();
  };

  const send = async () => {
    const id = `forward-${Date.now()}`;
    job.current = id;
    setError(null);
    setRun(null);
    setFailures([]);
    setLive({ state: 'running', selected: 0, skipped: 0, sent: 0, failed: 0, retried: 0 });
    try {
      const r = await api.forwardItems({ forwardId: id, destination: target, source: toSource(source), resend });
      setRun(r);
      if (r.failed > 0) setFailures(await api.listForwardLog({ destination: target, status: 'failed', limit: 20 }));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      job.current = null;
      setLive(null);
      void load();
    }
  };

  return (
    <div className="forward-panel" data-testid="forward-panel" data-state={dests === null ? 'loading' : 'ready'}>
      <div className="card">
        <div className="card-head">
          <h3>Destinations</h3>
          <button type="button" className="ghost small" onClick={() => setDraft({ ...EMPTY_DEST })} disabled={draft !== null} data-testid="dest-new">
            Add destination
          </button>
        </div>
        <p className="muted small-note">Splunk HTTP Event Collector or an Elasticsearch/OpenSearch _bulk endpoint. Tokens are stored in the case folder (secrets.json), never in exports or the report.</p>
        {draft ? (
          <form className="dest-form" onSubmit={(e) => void saveDest(e)} data-testid="dest-form">
            <label>
              Name
              <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} required placeholder="splunk" data-testid="dest-name" />
            </label>
            <label>
              Kind
              <select value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value as DestDraft['kind'] })} data-testid="dest-kind">
                <option value="splunk-hec">Splunk HEC</option>
                <option value="elastic-bulk">Elasticsearch / OpenSearch</option>
              </select>
            </label>
            <label className="wide">
              URL
              <input value={draft.url} onChange={(e) => setDraft({ ...draft, url: e.target.value })} required placeholder={draft.kind === 'splunk-hec' ? 'https://splunk.example:8088' : 'https://es.example:9200'} data-testid="dest-url" />
            </label>
            <label>
              Index{draft.kind === 'splunk-hec' ? ' (optional)' : ''}
              <input value={draft.index} onChange={(e) => setDraft({ ...draft, index: e.target.value })} required={draft.kind === 'elastic-bulk'} data-testid="dest-index" />
            </label>
            {draft.kind === 'elastic-bulk' ? (
              <label>
                Auth scheme
                <select value={draft.authScheme} onChange={(e) => setDraft({ ...draft, authScheme: e.target.value as DestDraft['authScheme'] })}>
                  <option>ApiKey</option>
                  <option>Basic</option>
                  <option>Bearer</option>
                </select>
              </label>
            ) : null}
            <label>
              {draft.kind === 'splunk-hec' ? 'HEC token' : 'Token (optional)'}
              <input type="password" autoComplete="off" value={draft.token} onChange={(e) => setDraft({ ...draft, token: e.target.value })} placeholder="kept unchanged when empty" data-testid="dest-token" />
            </label>
            <div className="panel-actions wide">
              <button type="submit" data-testid="dest-save">
                Save destination
              </button>
              <button type="button" className="ghost" onClick={() => setDraft(null)}>
                Cancel
              </button>
            </div>
          </form>
        ) : null}
        {dests && dests.length === 0 && !draft ? <p className="muted">No destination yet.</p> : null}
        {dests && dests.length > 0 ? (
          <table className="findings-table compact" data-testid="dest-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Where</th>
                <th>Token</th>
                <th>Sent (acked)</th>
                <th>Failed</th>
                <th>Last run</th>
                <th>Latency</th>
                <th>Health</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {dests.map((d) => {
                const h = health[d.name];
                return (
                  <tr key={d.name} data-testid="dest-row" data-name={d.name}>
                    <td>
                      <strong>{d.name}</strong>
                      <div className="muted small-note">{d.kind === 'splunk-hec' ? 'Splunk HEC' : 'Elasticsearch _bulk'}</div>
                    </td>
                    <td className="mono small-note">
                      {d.url}
                      {d.index ? ` · ${d.index}` : ''}
                    </td>
                    <td>{d.hasToken ? 'set' : <span className="muted">none</span>}</td>
                    <td className="num" data-testid="dest-acked">
                      {d.acked.toLocaleString()}
                    </td>
                    <td className="num">{d.failed.toLocaleString()}</td>
                    <td className="small-note">
                      {d.lastRun ? (
                        <>
                          <span className={`status-${d.lastRun.status}`}>{d.lastRun.status}</span> {formatTs(d.lastRun.startedAt)}
                          <div className="muted">
                            {d.lastRun.sent} sent, {d.lastRun.failed} failed, {d.lastRun.retried} retries
                          </div>
                        </>
                      ) : (
                        <span className="muted">never</span>
                      )}
                    </td>
                    <td className="small-note">{latency(d.lastRun)}</td>
                    <td className="small-note" data-testid="dest-health">
                      {h === 'checking' ? 'checking…' : h ? <span className={h.ok ? 'ok' : 'bad'}>{h.ok ? `healthy (${Math.round(h.latencyMs)} ms)` : `down: ${h.detail}`}</span> : null}
                    </td>
                    <td className="nowrap">
                      <button type="button" className="ghost small" onClick={() => void check(d.name)} data-testid="dest-check">
                        Check
                      </button>
                      <button
                        type="button"
                        className="ghost small"
                        onClick={() => setDraft({ name: d.name, kind: d.kind, url: d.url, index: d.index ?? '', authScheme: (d.authScheme as DestDraft['authScheme'] | null) ?? 'ApiKey', token: '' })}
                      >
                        Edit
                      </button>
                      <button type="button" className="ghost small" onClick={() => void remove(d.name)}>
                        Remove
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
      </div>
      <div className="card">
        <h3>Send</h3>
        <SourcePicker value={source} onChange={setSource} idPrefix="forward" />
        <div className="form-row">
          <label>
            To
            <select value={target} onChange={(e) => setTarget(e.target.value)} data-testid="forward-to">
              {(dests ?? []).map((d) => (
                <option key={d.name} value={d.name}>
                  {d.name}
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={resend} onChange={(e) => setResend(e.target.checked)} />
            Send again what this destination already acknowledged
          </label>
        </div>
        <div className="panel-actions">
          <button type="button" onClick={() => void send()} disabled={!target || live !== null} data-testid="forward-send">
            Send
          </button>
          {live ? (
            <>
              <button type="button" className="ghost" onClick={() => job.current && void api.cancelForward({ forwardId: job.current })}>
                Cancel
              </button>
              <span className="muted" data-testid="forward-live">
                {live.sent + live.failed} of {Math.max(0, live.selected - live.skipped)} done · {live.retried} retries
              </span>
            </>
          ) : null}
        </div>
        {error ? <p className="form-error">{error}</p> : null}
        {run ? (
          <div className={`forward-result status-${run.status}`} data-testid="forward-result" data-status={run.status}>
            <strong>{run.status}</strong>: {run.sent.toLocaleString()} sent and acknowledged, {run.failed.toLocaleString()} failed, {run.skipped.toLocaleString()} already sent earlier, {run.retried} retries in{' '}
            {run.batches} {run.batches === 1 ? 'batch' : 'batches'}; latency {latency(run)}.{run.lastError ? <div className="muted">Last error: {run.lastError}</div> : null}
          </div>
        ) : null}
        {failures.length ? (
          <ul className="failure-list">
            {failures.map((f) => (
              <li key={f.key} className="small-note">
                {f.kind} #{f.ref}: {f.reason}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </div>
  );
}
