import { useEffect, useState } from 'react';
import { REPORT_SECTION_LABELS, REPORT_SECTIONS, type ReportFile, type ReportSection } from '@shared/findings-contract';
import { useApi } from '../api/context';
import { useAppState } from '../app-state';
import { EmptyState } from '../components/empty-state';
import { BookmarksPanel } from '../components/findings/bookmarks-panel';
import { ExportPanel } from '../components/findings/export-panel';
import { FileLink } from '../components/findings/file-link';
import { ForwardPanel } from '../components/findings/forward-panel';
import { NotesPanel } from '../components/findings/notes-panel';
import '../findings.css';

const TABS = [
  { id: 'report', label: 'Report' },
  { id: 'notes', label: 'Notes' },
  { id: 'evidence', label: 'Bookmarked events' },
  { id: 'exports', label: 'Exports' },
  { id: 'handoff', label: 'Hand-off' },
] as const;
type Tab = (typeof TABS)[number]['id'];

function tabFromHash(): Tab {
  const q = window.location.hash.split('?')[1];
  const t = q ? new URLSearchParams(q).get('tab') : null;
  return TABS.some((x) => x.id === t) ? (t as Tab) : 'report';
}

/** Findings: the report (pick sections, preview, export HTML/PDF), notes, the bookmarked evidence, exports and the hand-off. */
export function ReportsView() {
  const { caseInfo } = useAppState();
  const [tab, setTab] = useState<Tab>(tabFromHash);
  const caseKey = `${caseInfo?.id ?? ''}:${caseInfo?.events ?? 0}`;

  const choose = (t: Tab) => {
    setTab(t);
    const url = new URL(window.location.href);
    url.hash = t === 'report' ? '#/reports' : `#/reports?tab=${t}`;
    window.history.replaceState(null, '', url);
  };

  return (
    <section className="view findings" aria-labelledby="view-title" data-view="reports" data-tab={tab}>
      <header className="view-header">
        <h1 id="view-title">Reports</h1>
        <div className="tabs" role="tablist" aria-label="Findings">
          {TABS.map((t) => (
            <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} className={tab === t.id ? 'tab active' : 'tab'} onClick={() => choose(t.id)} data-testid={`tab-${t.id}`}>
              {t.label}
            </button>
          ))}
        </div>
      </header>
      {!caseInfo ? (
        <EmptyState title="No case open">Open or create a case first.</EmptyState>
      ) : tab === 'report' ? (
        <ReportBuilder caseKey={caseKey} caseName={caseInfo.name} />
      ) : tab === 'notes' ? (
        <NotesPanel caseKey={caseKey} />
      ) : tab === 'evidence' ? (
        <BookmarksPanel caseKey={caseKey} />
      ) : tab === 'exports' ? (
        <ExportPanel caseKey={caseKey} />
      ) : (
        <ForwardPanel caseKey={caseKey} />
      )}
    </section>
  );
}

function ReportBuilder({ caseKey, caseName }: { caseKey: string; caseName: string }) {
  const api = useApi();
  const [sections, setSections] = useState<ReportSection[]>([...REPORT_SECTIONS]);
  const [title, setTitle] = useState('');
  const [author, setAuthor] = useState('');
  const [summary, setSummary] = useState('');
  const [html, setHtml] = useState<string | null>(null);
  const [state, setState] = useState<'idle' | 'building' | 'ready' | 'error'>('idle');
  const [warnings, setWarnings] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [pdf, setPdf] = useState<{ pdf: boolean; detail: string } | null>(null);
  const [written, setWritten] = useState<ReportFile | null>(null);
  const [writing, setWriting] = useState<'html' | 'pdf' | null>(null);

  useEffect(() => {
    void api.reportCapabilities({}).then(setPdf, () => setPdf({ pdf: false, detail: 'Unknown' }));
  }, [api]);

  const options = () => ({ sections, ...(title.trim() ? { title: title.trim() } : {}), ...(author.trim() ? { author: author.trim() } : {}), ...(summary.trim() ? { summary } : {}) });

  const preview = async () => {
    setState('building');
    setError(null);
    try {
      const r = await api.previewReport(options());
      setHtml(r.html);
      setWarnings(r.warnings);
      setState('ready');
    } catch (e) {
      setError((e as Error).message);
      setState('error');
    }
  };

  // A first preview when the view opens (and when the case changes), so the analyst sees what they will get.
  useEffect(() => {
    void preview();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [caseKey]);

  const write = async (format: 'html' | 'pdf') => {
    setWriting(format);
    setError(null);
    try {
      setWritten(await api.exportReport({ ...options(), format }));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setWriting(null);
    }
  };

  const toggle = (s: ReportSection, on: boolean) => setSections((cur) => REPORT_SECTIONS.filter((x) => (x === s ? on : cur.includes(x))));

  return (
    <div className="report-builder">
      <aside className="card report-options" aria-label="Report options">
        <label>
          Title
          <input value={title} onChange={(e) => setTitle(e.target.value)} placeholder={`Incident report: ${caseName}`} data-testid="report-title" />
        </label>
        <label>
          Prepared by
          <input value={author} onChange={(e) => setAuthor(e.target.value)} placeholder="your name or team" data-testid="report-author" />
        </label>
        <label>
          Executive summary (Markdown)
          <textarea rows={5} value={summary} onChange={(e) => setSummary(e.target.value)} placeholder="What happened, what was affected, what was done." data-testid="report-summary" />
        </label>
        <fieldset className="section-picks">
          <legend>Sections</legend>
          {REPORT_SECTIONS.map((s) => (
            <label key={s} className="check">
              <input type="checkbox" checked={sections.includes(s)} onChange={(e) => toggle(s, e.target.checked)} data-testid={`section-${s}`} />
              {REPORT_SECTION_LABELS[s]}
            </label>
          ))}
        </fieldset>
        <div className="panel-actions">
          <button type="button" onClick={() => void preview()} disabled={sections.length === 0 || state === 'building'} data-testid="report-preview">
            {state === 'building' ? 'Building…' : 'Preview'}
          </button>
          <button type="button" className="secondary" onClick={() => void write('html')} disabled={sections.length === 0 || writing !== null} data-testid="report-export-html">
            {writing === 'html' ? 'Writing…' : 'Export HTML'}
          </button>
          <button
            type="button"
            className="secondary"
            onClick={() => void write('pdf')}
            disabled={sections.length === 0 || writing !== null || pdf?.pdf === false}
            title={pdf?.detail}
            data-testid="report-export-pdf"
          >
            {writing === 'pdf' ? 'Printing…' : 'Export PDF'}
          </button>
        </div>
        {pdf && !pdf.pdf ? <p className="muted small-note">{pdf.detail}</p> : null}
        {error ? <p className="form-error">{error}</p> : null}
        {warnings.map((w) => (
          <p key={w} className="small-note warn">
            {w}
          </p>
        ))}
        {written ? (
          <div className="report-written" data-testid="report-written" data-format={written.format}>
            <p className="small-note">
              Wrote the {written.format.toUpperCase()} report in {(written.tookMs / 1000).toFixed(1)} s:
            </p>
            <FileLink path={written.path} bytes={written.bytes} sha256={written.sha256} testId="report-file" />
          </div>
        ) : null}
      </aside>
      <div className="report-preview" data-state={state}>
        {html ? (
          // sandbox="" : no script, no navigation, no forms, an opaque origin; the report's own CSP sits inside as well.
          <iframe title="Report preview" sandbox="" srcDoc={html} data-testid="report-frame" />
        ) : state === 'building' ? (
          <p className="muted">Building the preview…</p>
        ) : null}
      </div>
    </div>
  );
}
