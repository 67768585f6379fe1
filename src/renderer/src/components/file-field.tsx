import { useId, useRef, useState } from 'react';
import { useConnection } from '../api/context';

interface Props {
  label: string;
  value: string;
  onChange(path: string): void;
  /** File types the picker offers (`.mmdb`, `.txt,.csv`). */
  accept?: string;
  testId?: string;
}

/**
 * A file the engine should read: typed as a path (the engine runs on this
 * machine in both the desktop app and browser mode), or chosen with the
 * browser's picker. A picked file is the real path in the desktop app; in
 * browser mode it is uploaded into the open case's tmp folder first.
 */
export function FileField({ label, value, onChange, accept, testId }: Props) {
  const connection = useConnection();
  const picker = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  const picked = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    try {
      if (connection.pathForFile) {
        onChange(connection.pathForFile(file));
      } else if (connection.upload) {
        setBusy(`Uploading ${file.name}… 0%`);
        const path = await connection.upload(file, (f) => setBusy(`Uploading ${file.name}… ${Math.round(f * 100)}%`));
        onChange(path);
      }
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
      if (picker.current) picker.current.value = '';
    }
  };

  return (
    <div className="file-field">
      <label htmlFor={id}>{label}</label>
      <div className="input-row">
        <input id={id} className="mono" value={value} onChange={(e) => onChange(e.target.value)} placeholder="/path/to/file" data-testid={testId} />
        <button type="button" className="secondary" onClick={() => picker.current?.click()} disabled={busy !== null}>
          Choose…
        </button>
        <input ref={picker} type="file" accept={accept} hidden tabIndex={-1} aria-hidden="true" onChange={(e) => void picked(e.target.files?.[0])} />
      </div>
      {busy ? (
        <p className="muted small-note" role="status">
          {busy}
        </p>
      ) : null}
      {error ? <p className="form-error small-note">{error}</p> : null}
    </div>
  );
}
