import { useEffect, useState } from 'react';
import { ENTITY_KINDS, type EntityKind, type EntityListItem, type EntityProfile, type IpFacts, type PeerGroup } from '@shared/overview-contract';
import { andTerm, termFor } from '@shared/search-terms';
import { useApi } from '../api/context';
import { useAppState } from '../app-state';
import { useChartColors } from '../charts/chart-theme';
import { HistogramChart } from '../charts/histogram-chart';
import { CountryFlag, countryName } from '../components/country-flag';
import { EmptyState, ErrorState } from '../components/empty-state';
import { EntityLink } from '../components/entity-link';
import { BarList, type BarItem } from '../dashboard/bar-list';
import { copyText, datasetBadgeStyle, formatTime, zoneLabel } from '../lib/format';
import { alertsHref, dashboardHref, go, hashParam, searchHref } from '../lib/nav';
import '../hunt.css';
import '../overview.css';

const KIND_LABEL: Record<EntityKind, string> = { ip: 'IP address', user: 'User', host: 'Host' };
const KIND_TAB: Record<EntityKind, string> = { ip: 'IPs', user: 'Users', host: 'Hosts' };
/** The plural inside a sentence. */
const KIND_NOUN: Record<EntityKind, string> = { ip: 'IPs', user: 'users', host: 'hosts' };

function readRoute(): { kind: EntityKind; value: string | null } {
  const k = hashParam('kind');
  const kind = (ENTITY_KINDS as readonly string[]).includes(k ?? '') ? (k as EntityKind) : 'ip';
  const value = hashParam('value');
  return { kind, value: value && value.trim() ? value : null };
}

/** Every IP, user and host of the case, and a page for each (`#/entities?kind=ip&value=...`). */
export function EntitiesView() {
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const on = () => setRoute(readRoute());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route.value ? <EntityPage kind={route.kind} value={route.value} /> : <EntityIndex kind={route.kind} />;
}

// ------------------------------------------------------------------ index

function EntityIndex({ kind }: { kind: EntityKind }) {
  const api = useApi();
  const { caseInfo } = useAppState();
  const [text, setText] = useState('');
  const [list, setList] = useState<{ items: EntityListItem[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const caseKey = `${caseInfo?.id ?? ''}:${caseInfo?.events ?? 0}`;

  useEffect(() => {
    let stale = false;
    setError(null);
    const t = setTimeout(
      () =>
        api.listEntities({ kind, text, limit: 200 }).then(
          (r) => !stale && setList(r),
          (e: Error & { code?: string }) => !stale && e.code !== 'CANCELLED' && setError(e.message),
        ),
      text ? 200 : 0,
    );
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [api, kind, text, caseKey]);

  return (
    <section className="view" aria-labelledby="view-title" data-view="entities" data-state={error ? 'error' : list ? 'ready' : 'loading'}>
      <header className="view-header">
        <h1 id="view-title">Entities</h1>
        <span className="muted">every IP, user and host of the case, most active first</span>
      </header>
      <div className="tabs" role="tablist" aria-label="Entity kind">
        {ENTITY_KINDS.map((k) => (
          <button
            key={k}
            type="button"
            role="tab"
            aria-selected={k === kind}
            data-testid={`entity-tab-${k}`}
            onClick={() => {
              setList(null);
              go(`#/entities?kind=${k}`);
            }}
          >
            {KIND_TAB[k]}
          </button>
        ))}
      </div>
      <div className="toolbar">
        <input className="grow" value={text} onChange={(e) => setText(e.target.value)} placeholder={`Filter ${KIND_NOUN[kind]} (part of the value)`} aria-label={`Filter ${KIND_TAB[kind]}`} data-testid="entity-filter" />
        <form
          className="input-row"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim()) go(`#/entities?kind=${kind}&value=${encodeURIComponent(text.trim())}`);
          }}
        >
          <button type="submit" className="secondary" disabled={!text.trim()}>
            Open “{text.trim() || '…'}”
          </button>
        </form>
        {list ? (
          <span className="muted" role="status">
            {list.total.toLocaleString()} {KIND_NOUN[kind]}
            {list.total > list.items.length ? `, ${list.items.length} shown` : ''}
          </span>
        ) : null}
      </div>
      {error ? (
        <ErrorState title="The list could not load" message={error} />
      ) : !list ? (
        <div className="loading-state" role="status">
          Loading…
        </div>
      ) : list.items.length === 0 ? (
        <EmptyState title={text ? 'Nothing matches' : `No ${KIND_NOUN[kind]} in this case`}>{text ? 'Try a shorter part of the value.' : 'Import evidence that names them.'}</EmptyState>
      ) : (
        <div className="card scroll-box">
          <table className="data-table" data-testid="entity-list">
            <thead>
              <tr>
                <th scope="col">{KIND_LABEL[kind]}</th>
                {kind === 'ip' ? <th scope="col">Intel</th> : null}
                <th scope="col" className="num">
                  Events
                </th>
                <th scope="col">First seen ({zoneLabel()})</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((i) => (
                <tr key={i.value}>
                  <td>
                    <EntityLink kind={kind} value={i.value} className={i.ip?.malicious ? 'bad' : undefined} />
                  </td>
                  {kind === 'ip' ? <td>{i.ip ? <IntelBadges ip={i.ip} /> : null}</td> : null}
                  <td className="num">
                    <a href={searchHref({ query: termFor(kind === 'ip' ? 'ip' : kind, i.value) })} aria-label={`Search the ${i.events.toLocaleString()} events of ${i.value}`}>
                      {i.events.toLocaleString()}
                    </a>
                  </td>
                  <td className="mono">{formatTime(i.firstSeen, 's')}</td>
                  <td className="mono">{formatTime(i.lastSeen, 's')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function IntelBadges({ ip }: { ip: IpFacts }) {
  return (
    <span className="ip-extra">
      {ip.country ? <CountryFlag code={ip.country} /> : <span className="muted small-note">{ip.scope}</span>}
      {ip.ipsum !== null && ip.ipsum > 0 ? <span className={`ipsum${ip.malicious ? ' bad' : ''}`}>IPsum {ip.ipsum}</span> : null}
      {ip.iocLists.length > 0 ? (
        <span className="ioc bad" title={ip.iocLists.join(', ')}>
          IOC
        </span>
      ) : null}
    </span>
  );
}

// ------------------------------------------------------------------ one entity

function EntityPage({ kind, value }: { kind: EntityKind; value: string }) {
  const api = useApi();
  const { caseInfo } = useAppState();
  const colors = useChartColors();
  const [profile, setProfile] = useState<EntityProfile | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const caseKey = `${caseInfo?.id ?? ''}:${caseInfo?.events ?? 0}`;

  useEffect(() => {
    let stale = false;
    setProfile(null);
    setError(null);
    api.entity({ kind, value }).then(
      (p) => !stale && setProfile(p),
      (e: Error & { code?: string }) => !stale && e.code !== 'CANCELLED' && setError(e.message),
    );
    return () => {
      stale = true;
    };
  }, [api, kind, value, caseKey]);

  const query = profile?.query ?? termFor(kind === 'ip' ? 'ip' : kind, value);
  return (
    <section className="view" aria-labelledby="view-title" data-view="entities" data-entity-kind={kind} data-state={error ? 'error' : profile ? (profile.events === 0 ? 'empty' : 'ready') : 'loading'}>
      <nav aria-label="Breadcrumb" className="small-note">
        <a href={`#/entities?kind=${kind}`}>← All {KIND_NOUN[kind]}</a>
      </nav>
      <header className="entity-head">
        <span className="kind-badge">{KIND_LABEL[kind]}</span>
        <h1 id="view-title" className="mono">
          {value}
        </h1>
        {profile?.intel ? <span className={`verdict ${profile.intel.malicious ? 'bad' : 'ok'}`}>{profile.intel.malicious ? 'known bad' : 'not on any list'}</span> : null}
        <span className="grow" />
        <a className="button-link toolbar-link" href={searchHref({ query })} data-testid="entity-search">
          Search its events
        </a>
        <a className="button-link toolbar-link" href={dashboardHref({ query })}>
          Dashboard
        </a>
        <button
          type="button"
          className="ghost"
          onClick={() =>
            void copyText(value).then((ok) => {
              setCopied(ok);
              setTimeout(() => setCopied(false), 1500);
            })
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </header>
      {error ? (
        <ErrorState title="This page could not load" message={error} />
      ) : !profile ? (
        <div className="loading-state" role="status">
          Loading…
        </div>
      ) : (
        <div className="entity-grid">
          <section className="card span-6" aria-labelledby="facts-title">
            <h2 id="facts-title" className="card-title">
              Activity
            </h2>
            <dl className="facts">
              <dt>Events</dt>
              <dd data-testid="entity-events">
                <a href={searchHref({ query })}>{profile.events.toLocaleString()}</a>
              </dd>
              <dt>First seen</dt>
              <dd className="mono">
                {formatTime(profile.firstSeen)} {profile.firstSeen ? zoneLabel(profile.firstSeen) : ''}
              </dd>
              <dt>Last seen</dt>
              <dd className="mono">
                {formatTime(profile.lastSeen)} {profile.lastSeen ? zoneLabel(profile.lastSeen) : ''}
              </dd>
              {profile.roles ? (
                <>
                  <dt>As source</dt>
                  <dd>
                    <a href={searchHref({ query: termFor('src_ip', value) })}>{profile.roles.src.toLocaleString()}</a> events
                  </dd>
                  <dt>As destination</dt>
                  <dd>
                    <a href={searchHref({ query: termFor('dst_ip', value) })}>{profile.roles.dst.toLocaleString()}</a> events
                  </dd>
                </>
              ) : null}
              <dt>Datasets</dt>
              <dd className="chips">
                {profile.datasets.length === 0 ? <span className="muted">none</span> : null}
                {profile.datasets.map((d) => (
                  <a key={d.value} href={searchHref({ query: andTerm(query, termFor('dataset', d.value)) })} className="ds-badge" style={datasetBadgeStyle(d.value)}>
                    {d.value} {d.count.toLocaleString()}
                  </a>
                ))}
              </dd>
            </dl>
          </section>
          {profile.intel ? <IntelCard ip={value} facts={profile.intel} /> : <PeersSummary profile={profile} />}
          <section className="card span-12" aria-labelledby="hist-title">
            <h2 id="hist-title" className="card-title">
              Events over time <span className="muted small-note">by dataset · drag to search a span</span>
            </h2>
            {profile.histogram.total > 0 && profile.histogram.buckets.length > 0 ? (
              <HistogramChart data={profile.histogram} height={140} onBrush={(from, to) => go(searchHref({ query, from, to }))} />
            ) : (
              <p className="muted">No event with a time.</p>
            )}
          </section>
          <AlertsCard profile={profile} />
          {profile.peers.map((g) => (
            <PeerCard key={g.id} group={g} query={query} colors={colors} />
          ))}
          {profile.events === 0 ? (
            <div className="span-12">
              <EmptyState title="No event names this value">Check the spelling; IPs match in any notation, users and hosts ignore case.</EmptyState>
            </div>
          ) : null}
        </div>
      )}
    </section>
  );
}

function IntelCard({ ip, facts }: { ip: string; facts: IpFacts }) {
  return (
    <section className="card span-6" aria-labelledby="intel-title" data-testid="entity-intel">
      <h2 id="intel-title" className="card-title">
        Intel <span className="muted small-note">offline: GeoIP, AS, IPsum, IOC lists</span>
      </h2>
      <dl className="facts">
        <dt>Scope</dt>
        <dd>{facts.scope}</dd>
        <dt>Country</dt>
        <dd>{facts.country ? <CountryFlag code={facts.country} showName /> : <span className="muted">{facts.scope === 'public' ? 'unknown' : 'not routed on the Internet'}</span>}</dd>
        <dt>City</dt>
        <dd>{facts.city ?? <span className="muted">—</span>}</dd>
        <dt>AS</dt>
        <dd>{facts.asn !== null ? `AS${facts.asn}${facts.asOrg ? ` ${facts.asOrg}` : ''}` : <span className="muted">—</span>}</dd>
        <dt>IPsum</dt>
        <dd>{facts.ipsum === null ? <span className="muted">no IPsum list loaded (Settings)</span> : facts.ipsum === 0 ? 'on no blocklist' : <span className={facts.malicious ? 'state-error' : undefined}>on {facts.ipsum} blocklist{facts.ipsum === 1 ? '' : 's'}</span>}</dd>
        <dt>IOC lists</dt>
        <dd>{facts.iocLists.length === 0 ? <span className="muted">none</span> : <span className="state-error">{facts.iocLists.join(', ')}</span>}</dd>
        <dt>Verdict</dt>
        <dd>
          {facts.malicious ? (
            <span className="state-error">known bad</span>
          ) : (
            <span>
              not known bad <span className="muted small-note">(of the intel loaded)</span>
            </span>
          )}
        </dd>
      </dl>
      <p className="muted small-note">
        {facts.country ? `${countryName(facts.country)} · ` : ''}
        <a href={searchHref({ query: `ip:${ip} AND malicious:true` })}>Search its events with known-bad peers</a>
      </p>
    </section>
  );
}

/** Users and hosts: the first peer list beside the activity, so the page opens on who and where. */
function PeersSummary({ profile }: { profile: EntityProfile }) {
  const g = profile.peers[0];
  return (
    <section className="card span-6" aria-labelledby="summary-title">
      <h2 id="summary-title" className="card-title">
        At a glance
      </h2>
      {g ? (
        <p>
          {g.title}: <strong>{g.items.length}</strong>
          {g.items.length >= 20 ? '+' : ''}, most often{' '}
          {g.items[0] ? (
            <EntityLink kind={g.kind} value={g.items[0].value}>
              {g.items[0].value}
            </EntityLink>
          ) : null}
          .
        </p>
      ) : (
        <p className="muted">No related hosts, users or IPs.</p>
      )}
      {profile.alerts && profile.alerts.length > 0 ? (
        <p className="state-error">
          {profile.alerts.length} alert{profile.alerts.length === 1 ? '' : 's'} involve it.
        </p>
      ) : null}
    </section>
  );
}

function AlertsCard({ profile }: { profile: EntityProfile }) {
  if (profile.alerts === null)
    return (
      <section className="card span-12" aria-labelledby="alerts-title">
        <h2 id="alerts-title" className="card-title">
          Related alerts
        </h2>
        <p className="muted">Detection has not run in this case yet.</p>
      </section>
    );
  return (
    <section className="card span-12" aria-labelledby="alerts-title" data-testid="entity-alerts">
      <h2 id="alerts-title" className="card-title">
        Related alerts <span className="muted small-note">{profile.alerts.length}</span>
      </h2>
      {profile.alerts.length === 0 ? (
        <p className="muted">No alert involves its events.</p>
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Level</th>
              <th scope="col">Alert</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Its events
              </th>
              <th scope="col">First ({zoneLabel()})</th>
              <th scope="col">Last</th>
            </tr>
          </thead>
          <tbody>
            {profile.alerts.map((a) => (
              <tr key={a.id}>
                <td>
                  <span className={`sev sev-${a.level ?? 'informational'}`}>{a.level ?? '—'}</span>
                </td>
                <td>
                  <a href={alertsHref({ alert: String(a.id) })}>{a.title}</a>
                </td>
                <td>
                  <span className={`status-chip status-${a.status}`}>{a.status}</span>
                </td>
                <td className="num">
                  <a href={searchHref({ query: andTerm(profile.query, `alert:${a.id}`) })} aria-label={`Search the ${a.count} events of alert ${a.id} that involve ${profile.value}`}>
                    {a.count.toLocaleString()}
                  </a>
                </td>
                <td className="mono">{formatTime(a.firstSeen, 's')}</td>
                <td className="mono">{formatTime(a.lastSeen, 's')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function PeerCard({ group, query, colors }: { group: PeerGroup; query: string; colors: ReturnType<typeof useChartColors> }) {
  const logons = group.items.some((i) => (i.success ?? 0) + (i.failure ?? 0) > 0);
  const items: BarItem[] = group.items.map((i) => ({
    key: i.value,
    label: <EntityLink kind={group.kind} value={i.value} className={i.ip?.malicious ? 'bad' : undefined} />,
    extra: (
      <>
        {i.ip ? <IntelBadges ip={i.ip} /> : null}
        {logons ? (
          <span className="small-note muted" title="logons: successful / failed">
            <span className="state-ok">{(i.success ?? 0).toLocaleString()}</span> / <span className="state-error">{(i.failure ?? 0).toLocaleString()}</span> logons
          </span>
        ) : null}
      </>
    ),
    drillLabel: `Search the ${i.count.toLocaleString()} events with ${group.field} ${i.value}`,
    href: searchHref({ query: andTerm(query, termFor(group.field, i.value)) }),
    value: i.count,
  }));
  return (
    <section className="card span-6" aria-labelledby={`peers-${group.id}`} data-testid={`peers-${group.id}`}>
      <h2 id={`peers-${group.id}`} className="card-title">
        {group.title} <span className="muted small-note">events together</span>
      </h2>
      <BarList items={items} firstColor={colors.accent} />
    </section>
  );
}
