import { useState, type ReactNode } from 'react';
import { readChartColors } from '../charts/chart-theme';
import { downloadPng } from './list-png';

export type PanelState = 'loading' | 'ready' | 'error';

interface Props {
  id: string;
  title: string;
  /** A line under the title: what is counted. */
  hint?: string;
  state: PanelState;
  error?: string | null;
  empty: boolean;
  emptyText: string;
  /** The panel as PNG on the given background, or null when there is nothing to draw. */
  png?: (background: string) => string | null;
  /** A table of the chart's values: the keyboard and screen-reader way into a canvas chart. */
  table?: ReactNode;
  span?: 4 | 6 | 8 | 12;
  /** More buttons of the panel's own, shown before Table and PNG when it has data. */
  actions?: ReactNode;
  children: ReactNode;
}

/**
 * A dashboard panel: title, export, an optional table view of a chart, and
 * the states every panel has (loading, empty with a reason, error).
 */
export function Panel({ id, title, hint, state, error, empty, emptyText, png, table, span = 6, actions, children }: Props) {
  const [asTable, setAsTable] = useState(false);
  const headingId = `panel-${id}-title`;
  const dataState = state === 'ready' ? (empty ? 'empty' : 'ready') : state;
  return (
    <section className="panel" style={{ flexGrow: span }} aria-labelledby={headingId} data-panel={id} data-state={dataState}>
      <header className="panel-head">
        <div className="panel-titles">
          <h2 id={headingId}>{title}</h2>
          {hint ? <p className="panel-hint">{hint}</p> : null}
        </div>
        <div className="panel-actions">
          {actions && state === 'ready' && !empty ? actions : null}
          {table && state === 'ready' && !empty ? (
            <button type="button" className="ghost small" aria-pressed={asTable} onClick={() => setAsTable((t) => !t)} title={asTable ? 'Show the chart' : 'Show the values as a table'}>
              {asTable ? 'Chart' : 'Table'}
            </button>
          ) : null}
          {png && state === 'ready' && !empty ? (
            <button
              type="button"
              className="ghost small"
              aria-label={`Export ${title} as PNG`}
              title="Export as PNG"
              data-testid={`export-${id}`}
              onClick={() => {
                const url = png(readChartColors().bg);
                if (url) downloadPng(url, `loupe-${id}.png`);
              }}
            >
              PNG
            </button>
          ) : null}
        </div>
      </header>
      <div className="panel-body">
        {state === 'loading' ? (
          <div className="panel-loading" role="status" aria-label={`${title}: loading`}>
            <span className="skeleton wide" />
            <span className="skeleton" />
            <span className="skeleton wide" />
          </div>
        ) : state === 'error' ? (
          <p className="form-error small-note" role="alert">
            {error ?? 'This panel could not load.'}
          </p>
        ) : empty ? (
          <p className="panel-empty">{emptyText}</p>
        ) : asTable && table ? (
          <div className="panel-table">{table}</div>
        ) : (
          children
        )}
      </div>
    </section>
  );
}
