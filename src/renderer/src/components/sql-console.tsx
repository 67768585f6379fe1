import { useState, type KeyboardEvent } from 'react';
import type { SqlResult } from '@shared/query-contract';
import { useApi } from '../api/context';
import { cellText } from '../lib/format';

const EXAMPLE = `SELECT dataset, count(*) AS events, min(ts) AS first, max(ts) AS last
FROM events
GROUP BY dataset
ORDER BY events DESC`;

/**
 * The SQL console for power users: one read-only SELECT over the case's
 * tables (events, src_<n>, sources, evidence, bookmarks ...). The engine
 * refuses writes, files, ATTACH, INSTALL/LOAD and settings.
 */
export function SqlConsole() {
  const api = useApi();
  const [sql, setSql] = useState(EXAMPLE);
  const [result, setResult] = useState<SqlResult | null>(null);
  const [error, setError] = useState<{ code: string; message: string } | null>(null);
  const [running, setRunning] = useState(false);

  const run = async () => {
    setRunning(true);
    setError(null);
    try {
      setResult(await api.sqlQuery({ sql, limit: 1000, queryId: 'sql-console' }));
    } catch (e) {
      const err = e as Error & { code?: string };
      setResult(null);
      setError({ code: err.code ?? 'INTERNAL', message: err.message });
    } finally {
      setRunning(false);
    }
  };

  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void run();
    }
  };

  return (
    <div className="sql-console" data-testid="sql-console" data-state={running ? 'running' : error ? 'error' : result ? 'ready' : 'idle'}>
      <div className="sql-editor">
        <textarea value={sql} onChange={(e) => setSql(e.target.value)} onKeyDown={onKey} spellCheck={false} className="mono" aria-label="SQL query" data-testid="sql-input" rows={6} />
        <div className="sql-actions">
          {running ? (
            <button type="button" className="secondary" onClick={() => void api.cancelQuery({ queryId: 'sql-console' })}>
              Cancel
            </button>
          ) : (
            <button type="button" onClick={() => void run()} data-testid="sql-run">
              Run (Ctrl+Enter)
            </button>
          )}
          <span className="muted small-note">Read-only: one SELECT over this case's tables. No files, no settings.</span>
        </div>
      </div>
      {error ? (
        <p className={`form-error${error.code === 'REFUSED' ? ' refused' : ''}`} role="alert" data-testid="sql-error">
          <strong>{error.code === 'REFUSED' ? 'Refused' : error.code === 'QUERY_TIMEOUT' ? 'Timed out' : 'Error'}:</strong> {error.message}
        </p>
      ) : null}
      {result ? (
        <div className="sql-result">
          <p className="muted small-note" data-testid="sql-summary">
            {result.total.toLocaleString()} rows{result.truncated ? ' (first 1,000 shown)' : ''} · {result.tookMs} ms
          </p>
          <div className="sql-table-wrap">
            <table className="sql-table">
              <thead>
                <tr>
                  {result.columns.map((c, i) => (
                    <th key={c} title={result.types[i]}>
                      {c}
                      <span className="muted"> {result.types[i]?.toLowerCase()}</span>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {result.rows.map((r, i) => (
                  <tr key={i}>
                    {result.columns.map((c) => (
                      <td key={c} className="mono" title={cellText(r[c])}>
                        {cellText(r[c])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ) : null}
    </div>
  );
}
