import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Note } from '@shared/findings-contract';
import { useApi } from '../../api/context';
import { formatTs } from '../../lib/format';
import { EmptyState } from '../empty-state';
import { MarkdownView } from './markdown-view';

interface Draft {
  id?: number;
  title: string;
  body: string;
  events: string;
  alerts: string;
}

const EMPTY: Draft = { title: '', body: '', events: '', alerts: '' };

function ids(text: string): number[] | null {
  const parts = text
    .split(/[\s,]+/)
    .map((s) => s.trim().replace(/^#/, ''))
    .filter(Boolean);
  const out = parts.map(Number);
  return out.every((n) => Number.isInteger(n) && n >= 0) ? out : null;
}

/** Case notes in Markdown: write, preview, attach to events and alerts, edit, delete. */
export function NotesPanel({ caseKey }: { caseKey: string }) {
  const api = useApi();
  const [notes, setNotes] = useState<Note[] | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setNotes(await api.listNotes({}));
    } catch (e) {
      setError((e as Error).message);
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load, caseKey]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft) return;
    const events = ids(draft.events);
    const alerts = ids(draft.alerts);
    if (!events || !alerts) {
      setError('Event and alert ids are whole numbers, separated by commas or spaces');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.saveNote({ ...(draft.id !== undefined ? { id: draft.id } : {}), title: draft.title, body: draft.body, events, alerts });
      setDraft(null);
      await load();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (n: Note) => {
    if (!window.confirm(`Delete the note "${n.title}"?`)) return;
    await api.deleteNote({ id: n.id });
    await load();
  };

  return (
    <div className="notes-panel" data-testid="notes-panel" data-state={notes === null ? 'loading' : 'ready'}>
      <div className="panel-actions">
        <button type="button" onClick={() => setDraft({ ...EMPTY })} disabled={draft !== null} data-testid="note-new">
          New note
        </button>
        <span className="muted">Notes are Markdown. They go into the report's notes section; attach them to events or alerts to say what they are about.</span>
      </div>
      {error ? <p className="form-error">{error}</p> : null}
      {draft ? (
        <form className="card note-editor" onSubmit={(e) => void save(e)} data-testid="note-editor">
          <label>
            Title
            <input value={draft.title} onChange={(e) => setDraft({ ...draft, title: e.target.value })} required maxLength={200} data-testid="note-title" />
          </label>
          <div className="note-edit-grid">
            <label>
              Text (Markdown)
              <textarea value={draft.body} onChange={(e) => setDraft({ ...draft, body: e.target.value })} rows={12} className="mono" data-testid="note-body" />
            </label>
            <div className="note-preview" aria-label="Preview">
              <span className="muted small-note">Preview</span>
              <MarkdownView text={draft.body} />
            </div>
          </div>
          <div className="note-links">
            <label>
              About events (ids)
              <input value={draft.events} onChange={(e) => setDraft({ ...draft, events: e.target.value })} placeholder="e.g. 21016, 21048" data-testid="note-events" />
            </label>
            <label>
              About alerts (ids)
              <input value={draft.alerts} onChange={(e) => setDraft({ ...draft, alerts: e.target.value })} placeholder="e.g. 3" />
            </label>
          </div>
          <div className="panel-actions">
            <button type="submit" disabled={busy || !draft.title.trim()} data-testid="note-save">
              {draft.id !== undefined ? 'Save changes' : 'Save note'}
            </button>
            <button type="button" className="ghost" onClick={() => setDraft(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}
      {notes && notes.length === 0 && !draft ? <EmptyState title="No notes yet">Write what you found, what you ruled out and what is left to do.</EmptyState> : null}
      <div className="note-list">
        {(notes ?? []).map((n) => (
          <article key={n.id} className="card note-card" data-testid="note-card" data-note={n.id}>
            <header className="note-head">
              <h3>{n.title}</h3>
              <span className="muted small-note">
                {formatTs(n.updatedAt)} UTC
                {n.events.length || n.alerts.length ? ' · about ' : ''}
                {n.events.map((e) => (
                  <a key={`e${e.id}`} href={`#/timeline?around=${e.id}&scope=case`} className={e.exists ? undefined : 'gone'}>
                    event #{e.id}{' '}
                  </a>
                ))}
                {n.alerts.map((a) => (
                  <span key={`a${a.id}`} className={a.exists ? undefined : 'gone'}>
                    alert #{a.id} {a.title ?? ''}{' '}
                  </span>
                ))}
              </span>
              <span className="note-buttons">
                <button
                  type="button"
                  className="ghost small"
                  onClick={() => setDraft({ id: n.id, title: n.title, body: n.body, events: n.events.map((e) => e.id).join(', '), alerts: n.alerts.map((a) => a.id).join(', ') })}
                >
                  Edit
                </button>
                <button type="button" className="ghost small" onClick={() => void remove(n)}>
                  Delete
                </button>
              </span>
            </header>
            <MarkdownView text={n.body} />
          </article>
        ))}
      </div>
    </div>
  );
}
