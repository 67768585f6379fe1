import { useState } from 'react';
import { useApi, useConnection } from '../../api/context';
import { useAppState } from '../../app-state';

function size(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}

/**
 * A report or export the engine wrote into the case: its path, size and
 * SHA-256, a download in browser mode, "show in folder" in the desktop app.
 */
export function FileLink({ path, bytes, sha256, testId }: { path: string; bytes: number | null; sha256: string | null; testId?: string }) {
  const api = useApi();
  const connection = useConnection();
  const { info } = useAppState();
  const [error, setError] = useState<string | null>(null);
  const name = path.split(/[\\/]/).pop() ?? path;
  const url = connection.fileUrl?.(path);
  return (
    <div className="file-link" data-testid={testId}>
      <div className="file-link-main">
        {url ? (
          <a href={url} download={name} data-testid={testId ? `${testId}-download` : undefined}>
            Download {name}
          </a>
        ) : (
          <strong>{name}</strong>
        )}
        {bytes !== null ? <span className="muted"> · {size(bytes)}</span> : null}
        {info?.capabilities.nativeDialogs ? (
          <button
            type="button"
            className="ghost small"
            onClick={() =>
              void api.revealPath({ path }).catch((e: Error) => {
                setError(e.message);
              })
            }
          >
            Show in folder
          </button>
        ) : null}
      </div>
      <div className="mono muted file-path" title={path}>
        {path}
      </div>
      {sha256 ? <div className="mono muted file-hash">SHA-256 {sha256}</div> : null}
      {error ? <p className="form-error">{error}</p> : null}
    </div>
  );
}
