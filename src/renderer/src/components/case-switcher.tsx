import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { RecentCase } from '@shared/contract';
import { useApi } from '../api/context';
import { useAppState } from '../app-state';

/**
 * Create, open or switch cases. A dialog rather than a page: switching case is
 * something the analyst does from anywhere, then returns to work.
 */
export function CaseSwitcher({ open, onClose }: { open: boolean; onClose: () => void }) {
  const api = useApi();
  const { info } = useAppState();
  const dialog = useRef<HTMLDialogElement>(null);
  const [recent, setRecent] = useState<RecentCase[]>([]);
  const [name, setName] = useState('');
  const [dir, setDir] = useState('');
  const [openDir, setOpenDir] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      setError(null);
      api.listRecentCases({}).then(setRecent, (e: Error) => setError(e.message));
    } else if (!open && d.open) d.close();
  }, [open, api]);

  async function run(work: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await work();
      onClose();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(() => api.createCase({ name: name.trim(), ...(dir.trim() ? { dir: dir.trim() } : {}) }));
  };
  const openByPath = (e: FormEvent) => {
    e.preventDefault();
    void run(() => api.openCase({ dir: openDir.trim() }));
  };
  const browse = async () => {
    try {
      const r = await api.pickPaths({ kind: 'case', title: 'Open a Loupe case folder' });
      if (r.paths[0]) setOpenDir(r.paths[0]);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <dialog ref={dialog} className="case-switcher" aria-labelledby="case-switcher-title" onClose={onClose} data-testid="case-switcher">
      <header className="dialog-header">
        <h2 id="case-switcher-title">Cases</h2>
        <button type="button" className="ghost" onClick={onClose} aria-label="Close">
          ✕
        </button>
      </header>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="case-switcher-grid">
        <form onSubmit={create} className="card">
          <h3>New case</h3>
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} required placeholder="e.g. ACME ransomware 2026-11" data-testid="new-case-name" />
          </label>
          <label>
            Folder <span className="muted">(optional; default: in Loupe's data folder)</span>
            <input value={dir} onChange={(e) => setDir(e.target.value)} placeholder="/cases/acme" data-testid="new-case-dir" />
          </label>
          <button type="submit" disabled={busy || name.trim() === ''} data-testid="create-case">
            Create case
          </button>
        </form>
        <form onSubmit={openByPath} className="card">
          <h3>Open a case folder</h3>
          <label>
            Folder
            <span className="input-row">
              <input value={openDir} onChange={(e) => setOpenDir(e.target.value)} required placeholder="/cases/acme" data-testid="open-case-dir" />
              {info?.capabilities.nativeDialogs ? (
                <button type="button" onClick={() => void browse()}>
                  Browse…
                </button>
              ) : null}
            </span>
          </label>
          <button type="submit" disabled={busy || openDir.trim() === ''} data-testid="open-case">
            Open
          </button>
        </form>
      </div>
      <section className="recent">
        <h3>Recent</h3>
        {recent.length === 0 ? (
          <p className="muted">No recent cases.</p>
        ) : (
          <ul>
            {recent.map((r) => (
              <li key={r.dir}>
                <button type="button" className="recent-case" disabled={busy} onClick={() => void run(() => api.openCase({ dir: r.dir }))}>
                  <span className="recent-name">{r.name}</span>
                  <span className="recent-dir">{r.dir}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </dialog>
  );
}
