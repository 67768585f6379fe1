import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { ListenerSpec, LiveSourceInfo, WatchSpec } from '@shared/contract';
import { useApi, usePushEvent } from '../api/context';
import { useAppState } from '../app-state';
import { EmptyState } from '../components/empty-state';
import { count } from '../components/import/format';
import '../live.css';

type ListenerInput = Omit<ListenerSpec, 'host'> & { host?: string };

/**
 * Live: syslog listeners and watched files feeding the open case, with
 * their counters (pushed about once a second) and start/stop controls.
 * Starting a source with the same ports or paths as a stopped one carries
 * on with it (same evidence, same journal), so "Start" on a row simply
 * starts its settings again.
 */
export function LiveView() {
  const api = useApi();
  const { caseInfo } = useAppState();
  const [sources, setSources] = useState<LiveSourceInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<number | 'new' | null>(null);
  /** The case's event count as the last push gave it (caseInfo only follows it with Follow on). */
  const [events, setEvents] = useState<number | null>(null);

  const refresh = useCallback(async () => {
    try {
      setSources((await api.listLiveSources({})).sources);
    } catch (e) {
      setSources([]);
      setError((e as Error).message);
    }
  }, [api]);

  const caseDir = caseInfo?.dir;
  useEffect(() => {
    if (caseDir) void refresh();
  }, [refresh, caseDir]);

  usePushEvent('liveStats', (p) => {
    setEvents(p.events);
    setSources((prev) => {
      if (!prev) return prev;
      const byId = new Map(p.sources.map((s) => [s.id, s]));
      // A source this list does not know (started elsewhere, e.g. by the CLI) needs the full list.
      if (p.sources.some((s) => !prev.some((q) => q.id === s.id))) void refresh();
      return prev.map((s) => byId.get(s.id) ?? s);
    });
  });

  const act = async (key: number | 'new', fn: () => Promise<unknown>) => {
    setError(null);
    setBusy(key);
    try {
      await fn();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
      await refresh();
    }
  };

  const startAgain = (s: LiveSourceInfo) =>
    act(s.id, async () => {
      if (s.kind === 'watch' && s.watch) await api.startWatch({ paths: s.watch.paths, fromEnd: s.watch.fromEnd });
      else if (s.listener) {
        const l = s.listener;
        await api.startListener({
          host: l.host,
          ...(l.udp !== null ? { udp: l.udp } : {}),
          ...(l.tcp !== null ? { tcp: l.tcp } : {}),
          ...(l.tls !== null && l.certPath && l.keyPath ? { tls: { port: l.tls, certPath: l.certPath, keyPath: l.keyPath } } : {}),
        });
      }
    });

  const remove = (s: LiveSourceInfo) => {
    if (!window.confirm(`Remove ${s.label} and the ${count(s.counters.stored)} events it stored from the case?`)) return;
    void act(s.id, () => api.removeLiveSource({ id: s.id }));
  };

  if (!caseInfo) {
    return (
      <section className="view" aria-labelledby="view-title" data-view="live" data-state="no-case">
        <header className="view-header">
          <h1 id="view-title">Live</h1>
        </header>
        <EmptyState title="No case is open">Open or create a case first: live sources feed a case.</EmptyState>
      </section>
    );
  }

  const running = sources?.filter((s) => s.state === 'running').length ?? 0;
  return (
    <section className="view live-view" aria-labelledby="view-title" data-view="live" data-state={sources === null ? 'loading' : 'loaded'}>
      <header className="view-header">
        <h1 id="view-title">Live</h1>
        <span className="muted">
          {running} running · {count(events ?? caseInfo.events)} events in {caseInfo.name}
        </span>
      </header>

      <div className="live-forms">
        <ListenerForm busy={busy === 'new'} onStart={(spec) => void act('new', () => api.startListener(spec))} />
        <WatchForm busy={busy === 'new'} onStart={(spec) => void act('new', () => api.startWatch(spec))} />
      </div>

      {error ? (
        <p className="form-error" role="alert" data-testid="live-error">
          {error}
        </p>
      ) : null}

      <section className="card" aria-labelledby="live-sources-title" data-testid="live-sources">
        <header className="progress-head">
          <h3 id="live-sources-title">Sources</h3>
          <span className="muted">Received messages are on disk in the case folder before they are counted; a crash loses none of them.</span>
        </header>
        {sources === null ? (
          <p className="muted">Loading…</p>
        ) : sources.length === 0 ? (
          <p className="muted">No live source yet. Start a syslog listener or watch a log file above.</p>
        ) : (
          <div className="table-wrap">
            <table className="evidence-table live-table">
              <thead>
                <tr>
                  <th>Source</th>
                  <th className="num">Received</th>
                  <th className="num">Stored</th>
                  <th className="num">Rejected</th>
                  <th className="num">Dropped</th>
                  <th className="num">Backlog</th>
                  <th className="num">Rate</th>
                  <th className="num">Latency p50 / p99</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {sources.map((s) => (
                  <SourceRow key={s.id} source={s} busy={busy === s.id} onStop={() => void act(s.id, () => api.stopLiveSource({ id: s.id }))} onStart={() => void startAgain(s)} onRemove={() => remove(s)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </section>
  );
}

function SourceRow({ source: s, busy, onStop, onStart, onRemove }: { source: LiveSourceInfo; busy: boolean; onStop: () => void; onStart: () => void; onRemove: () => void }) {
  const c = s.counters;
  const bound = s.bound ? [s.bound.udp !== null ? `udp ${s.bound.udp}` : null, s.bound.tcp !== null ? `tcp ${s.bound.tcp}` : null, s.bound.tls !== null ? `tls ${s.bound.tls}` : null].filter(Boolean).join(', ') : '';
  return (
    <tr data-testid={`live-source-${s.id}`} data-state={s.state}>
      <td className="path">
        <div>
          <strong>{s.label}</strong>
          <span className={`state state-${s.state === 'stopped' ? 'finished' : s.state}`} data-testid="live-state">
            {s.state}
          </span>
        </div>
        <div className="row-message">
          evidence #{s.evidenceId}
          {s.state === 'running' && bound ? ` · bound ${bound}` : ''}
          {c.connections > 0 ? ` · ${c.connections} connection${c.connections === 1 ? '' : 's'}` : ''}
          {c.udpSocketDrops ? <span className="warn-text"> · {count(c.udpSocketDrops)} datagrams discarded by the OS</span> : null}
        </div>
        {s.files.length > 0 ? (
          <ul className="live-files">
            {s.files.slice(0, 8).map((f) => (
              <li key={f.path}>
                <span className="mono">{f.path}</span> <span className="muted">{f.format ?? 'format not known yet'} · at byte {count(f.offset)}</span>
              </li>
            ))}
            {s.files.length > 8 ? <li className="muted">and {s.files.length - 8} more</li> : null}
          </ul>
        ) : null}
        {s.message ? <div className="row-message">{s.message}</div> : null}
      </td>
      <td className="num" data-testid="live-received">
        {count(c.received)}
      </td>
      <td className="num" data-testid="live-stored">
        {count(c.stored)}
      </td>
      <td className="num" data-testid="live-rejected">
        {count(c.rejected)}
      </td>
      <td className={`num${c.dropped > 0 ? ' warn-text' : ''}`} data-testid="live-dropped">
        {count(c.dropped)}
      </td>
      <td className="num" data-testid="live-backlog">
        {count(c.backlog)}
      </td>
      <td className="num">{s.state === 'running' ? `${count(s.rate)}/s` : '—'}</td>
      <td className="num">{s.latencyMs ? `${count(s.latencyMs.p50)} / ${count(s.latencyMs.p99)} ms` : '—'}</td>
      <td className="live-actions">
        {s.state === 'running' ? (
          <button type="button" className="secondary" onClick={onStop} disabled={busy} data-testid="live-stop">
            Stop
          </button>
        ) : (
          <button type="button" className="secondary" onClick={onStart} disabled={busy} data-testid="live-start">
            Start
          </button>
        )}
        <button type="button" className="ghost" onClick={onRemove} disabled={busy} data-testid="live-remove" title="Remove the source and its events from the case">
          Remove
        </button>
      </td>
    </tr>
  );
}

function portOf(text: string): number | undefined {
  const n = Number(text);
  return text.trim() !== '' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

function ListenerForm({ busy, onStart }: { busy: boolean; onStart: (spec: ListenerInput) => void }) {
  const [host, setHost] = useState('127.0.0.1');
  const [udpOn, setUdpOn] = useState(true);
  const [udp, setUdp] = useState('5514');
  const [tcpOn, setTcpOn] = useState(true);
  const [tcp, setTcp] = useState('5514');
  const [tlsOn, setTlsOn] = useState(false);
  const [tls, setTls] = useState('6514');
  const [cert, setCert] = useState('');
  const [key, setKey] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const spec: ListenerInput = { host: host.trim() || '127.0.0.1' };
    if (udpOn) spec.udp = portOf(udp);
    if (tcpOn) spec.tcp = portOf(tcp);
    if ((udpOn && spec.udp === undefined) || (tcpOn && spec.tcp === undefined)) return setProblem('A port is a whole number from 0 to 65535 (0 picks a free one).');
    if (tlsOn) {
      const port = portOf(tls);
      if (port === undefined) return setProblem('The TLS port is a whole number from 0 to 65535.');
      if (!cert.trim() || !key.trim()) return setProblem('TLS needs the paths of your certificate and private key (PEM files).');
      spec.tls = { port, certPath: cert.trim(), keyPath: key.trim() };
    }
    if (!udpOn && !tcpOn && !tlsOn) return setProblem('Choose UDP, TCP or TLS.');
    setProblem(null);
    onStart(spec);
  };

  return (
    <form className="card live-form" onSubmit={submit} aria-label="Syslog listener" data-testid="listener-form">
      <h3>Syslog listener</h3>
      <label>
        Bind address
        <input value={host} onChange={(e) => setHost(e.target.value)} spellCheck={false} data-testid="listener-host" />
        <span className="hint">127.0.0.1 takes messages from this machine only; 0.0.0.0 from every interface.</span>
      </label>
      <div className="live-ports">
        <label className="checkbox">
          <input type="checkbox" checked={udpOn} onChange={(e) => setUdpOn(e.target.checked)} data-testid="listener-udp-on" />
          UDP
        </label>
        <input className="port" value={udp} onChange={(e) => setUdp(e.target.value)} disabled={!udpOn} inputMode="numeric" aria-label="UDP port" data-testid="listener-udp" />
        <label className="checkbox">
          <input type="checkbox" checked={tcpOn} onChange={(e) => setTcpOn(e.target.checked)} data-testid="listener-tcp-on" />
          TCP
        </label>
        <input className="port" value={tcp} onChange={(e) => setTcp(e.target.value)} disabled={!tcpOn} inputMode="numeric" aria-label="TCP port" data-testid="listener-tcp" />
        <label className="checkbox">
          <input type="checkbox" checked={tlsOn} onChange={(e) => setTlsOn(e.target.checked)} data-testid="listener-tls-on" />
          TLS
        </label>
        <input className="port" value={tls} onChange={(e) => setTls(e.target.value)} disabled={!tlsOn} inputMode="numeric" aria-label="TLS port" data-testid="listener-tls" />
      </div>
      {tlsOn ? (
        <div className="live-tls">
          <label>
            Certificate (PEM)
            <input value={cert} onChange={(e) => setCert(e.target.value)} placeholder="/path/to/cert.pem" spellCheck={false} data-testid="listener-cert" />
          </label>
          <label>
            Private key (PEM)
            <input value={key} onChange={(e) => setKey(e.target.value)} placeholder="/path/to/key.pem" spellCheck={false} data-testid="listener-key" />
          </label>
        </div>
      ) : null}
      {problem ? <p className="form-error">{problem}</p> : null}
      <div>
        <button type="submit" disabled={busy} data-testid="listener-start">
          Start listener
        </button>
      </div>
    </form>
  );
}

function WatchForm({ busy, onStart }: { busy: boolean; onStart: (spec: Omit<WatchSpec, 'fromEnd'> & { fromEnd?: boolean }) => void }) {
  const [paths, setPaths] = useState('');
  const [fromEnd, setFromEnd] = useState(false);
  const list = paths
    .split('\n')
    .map((p) => p.trim())
    .filter(Boolean);
  return (
    <form
      className="card live-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (list.length > 0) onStart({ paths: list, fromEnd });
      }}
      aria-label="Watch files"
      data-testid="watch-form"
    >
      <h3>Watch files</h3>
      <label>
        Files or folders, one per line
        <textarea rows={3} value={paths} onChange={(e) => setPaths(e.target.value)} placeholder="/var/log/auth.log" spellCheck={false} data-testid="watch-paths" />
        <span className="hint">Followed like tail -F: rotation, truncation and new files in a folder; resumes where it stopped.</span>
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={fromEnd} onChange={(e) => setFromEnd(e.target.checked)} data-testid="watch-from-end" />
        Only lines written from now on
      </label>
      <div>
        <button type="submit" disabled={busy || list.length === 0} data-testid="watch-start">
          Start watching
        </button>
      </div>
    </form>
  );
}
