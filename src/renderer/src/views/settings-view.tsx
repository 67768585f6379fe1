import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { IntelOverview, IntelSource } from '@shared/overview-contract';
import { useApi } from '../api/context';
import { useAppState } from '../app-state';
import { ErrorState } from '../components/empty-state';
import { FileField } from '../components/file-field';
import { formatTime, knownZones, LOCAL, resolvedZone, UTC, zoneLabel } from '../lib/time-format';
import { usePrefs } from '../prefs';
import '../hunt.css';
import '../overview.css';

/** A fixed moment for the time zone preview (a render must not read the clock). */
const SAMPLE = '2024-03-12T06:00:00Z';

type Outcome = { ok: true; text: string } | { ok: false; text: string } | null;

/** Display preferences, and the threat intel every case uses: sources, IPsum, GeoIP, IOC lists, threshold. */
export function SettingsView() {
  const api = useApi();
  const { caseInfo } = useAppState();
  const [intel, setIntel] = useState<IntelOverview | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    api.intelStatus({}).then(setIntel, (e: Error) => setLoadError(e.message));
  }, [api, caseInfo?.id]);

  return (
    <section className="view settings" aria-labelledby="view-title" data-view="settings" data-state={intel ? 'ready' : loadError ? 'error' : 'loading'}>
      <header className="view-header">
        <h1 id="view-title">Settings</h1>
      </header>
      <DisplaySection />
      {loadError ? <ErrorState title="The intel settings could not load" message={loadError} /> : null}
      {intel ? <IntelSections intel={intel} onChange={setIntel} hasCase={caseInfo !== null} /> : null}
    </section>
  );
}

function Section({ id, title, intro, children }: { id: string; title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <section className="card settings-section" aria-labelledby={`${id}-title`} data-testid={`settings-${id}`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {intro ? <p className="muted">{intro}</p> : null}
      {children}
    </section>
  );
}

function DisplaySection() {
  const { theme, setTheme, timeZone, setTimeZone } = usePrefs();
  const [zones] = useState(knownZones);
  const local = resolvedZone(LOCAL);
  return (
    <Section id="display" title="Display" intro="Kept in this browser profile; the case always stores UTC.">
      <div className="form-row">
        <label>
          Time zone for display
          <select value={timeZone} onChange={(e) => setTimeZone(e.target.value)} data-testid="tz-select">
            {zones.map((z) => (
              <option key={z} value={z}>
                {z === UTC ? 'UTC (default)' : z === LOCAL ? `This computer (${local})` : z}
              </option>
            ))}
          </select>
        </label>
        <p className="muted" data-testid="tz-preview">
          An event at <span className="mono">2024-03-12 06:00:00</span> UTC shows as <span className="mono">{formatTime(SAMPLE, 's')}</span> {zoneLabel(SAMPLE)}
        </p>
      </div>
      <fieldset className="form-row plain">
        <legend>Theme</legend>
        {(['dark', 'light'] as const).map((t) => (
          <label key={t} className="check">
            <input type="radio" name="theme" value={t} checked={theme === t} onChange={() => setTheme(t)} data-testid={`theme-${t}`} />
            {t === 'dark' ? 'Dark' : 'Light'}
          </label>
        ))}
      </fieldset>
    </Section>
  );
}

function useAction(onChange: (i: IntelOverview) => void): [Outcome, boolean, (fn: () => Promise<IntelOverview>, done: string) => Promise<void>] {
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  const run = async (fn: () => Promise<IntelOverview>, done: string) => {
    setBusy(true);
    setOutcome(null);
    try {
      onChange(await fn());
      setOutcome({ ok: true, text: done });
    } catch (e) {
      setOutcome({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return [outcome, busy, run];
}

function OutcomeLine({ outcome, testId }: { outcome: Outcome; testId: string }) {
  if (!outcome) return null;
  return (
    <p className={outcome.ok ? 'form-ok small-note' : 'form-error small-note'} role={outcome.ok ? 'status' : 'alert'} data-testid={testId}>
      {outcome.text}
    </p>
  );
}

function IntelSections({ intel, onChange, hasCase }: { intel: IntelOverview; onChange: (i: IntelOverview) => void; hasCase: boolean }) {
  const api = useApi();
  const ipsum = intel.sources.find((s) => s.id === 'ipsum');
  const geo = intel.sources.filter((s) => !s.embedded && (s.kind === 'city' || s.kind === 'country' || s.kind === 'asn'));
  const ioc = intel.sources.filter((s) => s.kind === 'ioc');
  const [threshold, setThreshold] = useState(String(intel.settings.maliciousThreshold));
  const [ipsumPath, setIpsumPath] = useState('');
  const [mmdbPath, setMmdbPath] = useState('');
  const [mmdbKind, setMmdbKind] = useState<'' | 'city' | 'country' | 'asn'>('');
  const [iocPath, setIocPath] = useState('');
  const [iocName, setIocName] = useState('');
  const [thrOut, thrBusy, thrRun] = useAction(onChange);
  const [ipsumOut, ipsumBusy, ipsumRun] = useAction(onChange);
  const [geoOut, geoBusy, geoRun] = useAction(onChange);
  const [iocOut, iocBusy, iocRun] = useAction(onChange);

  const saveThreshold = (e: FormEvent) => {
    e.preventDefault();
    void thrRun(() => api.intelUpdateSettings({ maliciousThreshold: Number(threshold) }), `Saved: IPs on ${threshold} or more IPsum lists are known bad.`);
  };

  return (
    <>
      <Section
        id="intel"
        title="Threat intel"
        intro={
          <>
            Shared by every case, kept in <span className="mono">{intel.dir}</span>. Every change re-enriches the open case’s IPs at once.
          </>
        }
      >
        {intel.case ? (
          <p data-testid="case-intel">
            This case: <strong>{intel.case.ips.toLocaleString()}</strong> distinct IPs, {intel.case.enriched.toLocaleString()} enriched, <strong className={intel.case.malicious > 0 ? 'state-error' : undefined}>{intel.case.malicious.toLocaleString()}</strong> known bad
            {intel.case.enrichedAt ? <span className="muted"> · enriched {formatTime(intel.case.enrichedAt, 's')} {zoneLabel(intel.case.enrichedAt)}</span> : null}
            {intel.case.stale ? <span className="state-error"> · out of date (reopen the dashboard to refresh)</span> : null}
          </p>
        ) : (
          <p className="muted">{hasCase ? 'The open case has not been enriched yet.' : 'No case is open.'}</p>
        )}
        <form className="form-row" onSubmit={saveThreshold}>
          <label>
            Known bad from IPsum score
            <input type="number" min={1} max={100} value={threshold} onChange={(e) => setThreshold(e.target.value)} data-testid="threshold-input" />
          </label>
          <button type="submit" disabled={thrBusy || !/^\d+$/.test(threshold) || Number(threshold) < 1 || Number(threshold) > 100 || Number(threshold) === intel.settings.maliciousThreshold} data-testid="threshold-save">
            Save
          </button>
          <p className="muted small-note">An IP on this many IPsum blocklists or more, or on any IOC list, is known bad. IPsum’s own ban level is 3.</p>
        </form>
        <OutcomeLine outcome={thrOut} testId="threshold-outcome" />
        <SourcesTable sources={intel.sources} onChange={onChange} />
      </Section>

      <Section id="ipsum" title="IPsum" intro="A daily list of IPs seen on many public blocklists (stamparm/ipsum, public domain). Import a downloaded copy, or fetch it when this computer is online.">
        <p>
          {ipsum?.state === 'ok' ? (
            <>
              Loaded: <strong>{ipsum.entries?.toLocaleString()}</strong> IPs, feed of {ipsum.version ? formatTime(ipsum.version, 'day') : 'unknown date'}
              {ipsum.origin ? <span className="muted"> · from {ipsum.origin}</span> : null}
            </>
          ) : (
            <span className="muted">No IPsum list yet: IPs get no blocklist score.</span>
          )}
        </p>
        <form
          className="form-row"
          onSubmit={(e) => {
            e.preventDefault();
            void ipsumRun(() => api.intelImportIpsum({ path: ipsumPath.trim() }), 'IPsum imported.');
          }}
        >
          <FileField label="IPsum file (ipsum.txt)" value={ipsumPath} onChange={setIpsumPath} accept=".txt" testId="ipsum-path" />
          <button type="submit" disabled={ipsumBusy || !ipsumPath.trim()} data-testid="ipsum-import">
            Import
          </button>
          <button
            type="button"
            className="secondary"
            disabled={ipsumBusy}
            onClick={() => void ipsumRun(() => api.intelUpdateIpsum({}), 'IPsum updated from the Internet.')}
            title={intel.settings.ipsumUrl}
            data-testid="ipsum-update"
          >
            {ipsumBusy ? 'Working…' : 'Update from the Internet'}
          </button>
        </form>
        <OutcomeLine outcome={ipsumOut} testId="ipsum-outcome" />
      </Section>

      <Section id="geoip" title="GeoIP databases" intro="MaxMind .mmdb files you are licensed for (GeoLite2 or GeoIP2 City, Country, ASN). They win over the embedded country data.">
        <p>
          {geo.filter((g) => g.state === 'ok').length === 0 ? (
            <span className="muted">None added: countries come from the embedded database.</span>
          ) : (
            geo
              .filter((g) => g.state === 'ok')
              .map((g) => g.name)
              .join(', ')
          )}
        </p>
        <form
          className="form-row"
          onSubmit={(e) => {
            e.preventDefault();
            void geoRun(() => api.intelAddMmdb({ path: mmdbPath.trim(), ...(mmdbKind ? { kind: mmdbKind } : {}) }), 'Database added.');
          }}
        >
          <FileField label=".mmdb file" value={mmdbPath} onChange={setMmdbPath} accept=".mmdb" testId="mmdb-path" />
          <label>
            Kind
            <select value={mmdbKind} onChange={(e) => setMmdbKind(e.target.value as typeof mmdbKind)} data-testid="mmdb-kind">
              <option value="">from the file</option>
              <option value="city">City</option>
              <option value="country">Country</option>
              <option value="asn">ASN</option>
            </select>
          </label>
          <button type="submit" disabled={geoBusy || !mmdbPath.trim()} data-testid="mmdb-add">
            Add database
          </button>
        </form>
        <OutcomeLine outcome={geoOut} testId="mmdb-outcome" />
      </Section>

      <Section id="ioc" title="IOC lists" intro="Your own indicators (IPs, CIDRs, domains, hashes) as text or CSV; defanged values are understood. An IP on any list is known bad.">
        {ioc.length === 0 ? <p className="muted">No IOC list yet.</p> : null}
        <form
          className="form-row"
          onSubmit={(e) => {
            e.preventDefault();
            void iocRun(() => api.intelAddIocList({ path: iocPath.trim(), name: iocName.trim() }), `IOC list “${iocName.trim()}” added.`).then(() => {
              setIocName('');
              setIocPath('');
            });
          }}
        >
          <label>
            Name
            <input value={iocName} onChange={(e) => setIocName(e.target.value)} placeholder="e.g. incident-42" data-testid="ioc-name" />
          </label>
          <FileField label="List file" value={iocPath} onChange={setIocPath} accept=".txt,.csv" testId="ioc-path" />
          <button type="submit" disabled={iocBusy || !iocPath.trim() || !iocName.trim()} data-testid="ioc-add">
            Add list
          </button>
        </form>
        <OutcomeLine outcome={iocOut} testId="ioc-outcome" />
      </Section>
    </>
  );
}

function SourcesTable({ sources, onChange }: { sources: IntelSource[]; onChange: (i: IntelOverview) => void }) {
  const api = useApi();
  const [outcome, busy, run] = useAction(onChange);
  const remove = (s: IntelSource) => {
    if (s.kind === 'ioc') void run(() => api.intelRemoveIocList({ name: s.name }), `Removed the IOC list “${s.name}”.`);
    else if (s.kind === 'city' || s.kind === 'country' || s.kind === 'asn') void run(() => api.intelRemoveMmdb({ kind: s.kind as 'city' | 'country' | 'asn' }), `Removed the ${s.kind} database.`);
  };
  return (
    <>
      <table className="data-table" data-testid="intel-sources">
        <caption className="visually-hidden">Intel sources</caption>
        <thead>
          <tr>
            <th scope="col">Source</th>
            <th scope="col">State</th>
            <th scope="col">Version</th>
            <th scope="col" className="num">
              Entries
            </th>
            <th scope="col">Licence and attribution</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sources.map((s) => (
            <tr key={s.id} data-source={s.id}>
              <td>
                {s.name}
                {s.embedded ? <span className="muted small-note"> (embedded)</span> : null}
                {s.detail ? <div className="muted small-note">{s.detail}</div> : null}
              </td>
              <td className={`state-${s.state}`}>{s.state}</td>
              <td className="mono">{s.version ? formatTime(s.version, 'day') : '—'}</td>
              <td className="num">
                {s.entries === null ? '—' : s.entries.toLocaleString()}
                {s.rejected ? <div className="muted small-note">{s.rejected.toLocaleString()} lines rejected</div> : null}
              </td>
              <td>
                {s.licence ?? <span className="muted">—</span>}
                {s.attribution ? <div className="attribution">{s.attribution}</div> : null}
              </td>
              <td>
                {!s.embedded && s.state !== 'missing' && s.kind !== 'ipsum' ? (
                  <button type="button" className="ghost small" disabled={busy} onClick={() => remove(s)} aria-label={`Remove ${s.name}`}>
                    Remove
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <OutcomeLine outcome={outcome} testId="sources-outcome" />
    </>
  );
}
