import { useEffect, useState } from 'react';
import { useConnection, usePushEvent } from './api/context';
import type { ConnectionStatus } from './api/client';
import { useAppState } from './app-state';
import { CaseSwitcher } from './components/case-switcher';
import { ErrorState } from './components/empty-state';
import { Icon } from './components/icon';
import { useTheme } from './theme';
import { VIEWS } from './views/registry';

/**
 * The case's counts in the top bar. Live sources push the event count about
 * once a second; the chip follows it whether or not Follow live is on (only
 * the views wait for Follow, since each refresh reruns their queries).
 */
function CaseCounts({ caseId, events, evidence }: { caseId: string; events: number; evidence: number }) {
  const [live, setLive] = useState<{ caseId: string; events: number } | null>(null);
  usePushEvent('liveStats', (p) => {
    if (p.sources.length > 0) setLive((l) => (l?.caseId === caseId && l.events === p.events ? l : { caseId, events: p.events }));
  });
  // A newer count from the case (an import, a removal) wins until the next push.
  useEffect(() => setLive(null), [caseId, events]);
  const shown = live?.caseId === caseId ? live.events : events;
  return (
    <span className="muted case-counts" data-testid="case-counts">
      {shown.toLocaleString()} events · {evidence.toLocaleString()} evidence {evidence === 1 ? 'item' : 'items'}
    </span>
  );
}

function currentRoute(): string {
  const id = window.location.hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return VIEWS.some((v) => v.id === id) ? id : 'search';
}

export function App() {
  const connection = useConnection();
  const { info, caseInfo, loadError, refresh, follow, setFollow } = useAppState();
  const [route, setRoute] = useState(currentRoute);
  const [theme, setTheme] = useTheme();
  const [switcherOpen, setSwitcherOpen] = useState(false);
  const [status, setStatus] = useState<ConnectionStatus>('connecting');

  useEffect(() => connection.onStatus(setStatus), [connection]);
  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    // Alt+1..9 jumps between views from anywhere, including inside inputs.
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const view = VIEWS.find((v) => v.key === e.key);
      if (view) {
        e.preventDefault();
        window.location.hash = `#/${view.id}`;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  usePushEvent('menuCommand', (p) => {
    if (p.command === 'newCase' || p.command === 'openCase') setSwitcherOpen(true);
    if (p.command === 'importFiles') window.location.hash = '#/import';
  });

  const active = VIEWS.find((v) => v.id === route) ?? VIEWS[0];
  const ActiveView = active?.component;

  return (
    <div className="shell" data-state={info ? 'ready' : loadError ? 'error' : 'loading'} data-connection={status}>
      <nav className="sidebar" aria-label="Views">
        <div className="brand">
          <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
            <circle cx="10" cy="10" r="6.5" fill="none" stroke="currentColor" strokeWidth="2.2" />
            <path d="m15 15 6 6" stroke="currentColor" strokeWidth="2.6" strokeLinecap="round" />
          </svg>
          <span>Loupe</span>
        </div>
        <ul>
          {VIEWS.map((v) => (
            <li key={v.id}>
              <a href={`#/${v.id}`} className={v.id === route ? 'active' : undefined} aria-current={v.id === route ? 'page' : undefined} title={`${v.label} (Alt+${v.key})`} data-nav={v.id}>
                <Icon path={v.icon} />
                <span>{v.label}</span>
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <button type="button" className="ghost theme-toggle" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
            {theme === 'dark' ? '☀ Light' : '☾ Dark'}
          </button>
          <span className={`conn conn-${status}`} role="status" data-testid="connection-status">
            <span className="dot" aria-hidden="true" />
            {info?.host === 'electron' ? 'Desktop' : 'Browser'} · {status}
          </span>
        </div>
      </nav>
      <div className="main">
        <header className="topbar">
          <button type="button" className="case-button" onClick={() => setSwitcherOpen(true)} data-testid="case-button" aria-haspopup="dialog">
            <span className="muted">Case</span>
            <strong data-testid="case-name">{caseInfo ? caseInfo.name : 'No case open'}</strong>
            {caseInfo ? <CaseCounts caseId={caseInfo.id} events={caseInfo.events} evidence={caseInfo.evidence} /> : null}
            <span aria-hidden="true">▾</span>
          </button>
          {caseInfo ? (
            <button type="button" className="secondary follow-toggle" aria-pressed={follow} onClick={() => setFollow(!follow)} data-testid="follow-toggle" title="Refresh Search, Dashboard and Alerts as live sources store new events">
              <span className="dot" aria-hidden="true" />
              {follow ? 'Following live' : 'Follow live'}
            </button>
          ) : null}
        </header>
        {status === 'disconnected' ? (
          <div className="banner banner-error" role="alert">
            Lost the connection to the Loupe engine. Is `loupe serve` still running?
          </div>
        ) : null}
        <main className="content">
          {loadError ? (
            <ErrorState title="Cannot reach the Loupe engine" message={loadError} onRetry={() => void refresh()} />
          ) : ActiveView ? (
            <ActiveView />
          ) : null}
        </main>
      </div>
      <CaseSwitcher open={switcherOpen} onClose={() => setSwitcherOpen(false)} />
    </div>
  );
}
