import { forwardRef, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type MouseEvent as ReactMouseEvent } from 'react';
import { EVENT_TABLE_COLUMNS, type EventRow, type SortColumn } from '@shared/query-contract';
import type { EventPages } from '../hooks/use-event-pages';
import { useRowWindow } from '../hooks/use-row-window';
import { entityKindOf } from '../lib/entities';
import { cellText, copyText, datasetBadgeStyle, datasetColor, formatTs } from '../lib/format';
import { EntityLink } from './entity-link';

const ENTITY_COLUMNS: Record<string, boolean> = { host: true, user: true, src_ip: true, dst_ip: true };

const ROW_HEIGHT = 28;
const HEADER_HEIGHT = 30;
const DEFAULT_WIDTHS: Record<string, number> = {
  ts: 200,
  dataset: 140,
  host: 160,
  event_code: 92,
  severity: 96,
  message: 520,
  src_ip: 140,
  src_port: 78,
  dst_ip: 140,
  dst_port: 78,
  protocol: 80,
  user: 120,
  process: 220,
  action: 130,
  outcome: 86,
  id: 90,
  evidence_id: 90,
  source_id: 86,
  pos: 80,
};
export const DEFAULT_COLUMNS: SortColumn[] = ['ts', 'dataset', 'host', 'event_code', 'user', 'src_ip', 'dst_ip', 'message'];

export interface EventTableHandle {
  scrollToIndex(i: number, align?: 'auto' | 'center'): void;
  focus(): void;
}

interface Props {
  pages: EventPages;
  scope: string;
  sort: { column: SortColumn; dir: 'asc' | 'desc' };
  onSort(sort: { column: SortColumn; dir: 'asc' | 'desc' }): void;
  selected: number | null;
  onSelect(index: number): void;
  onOpen(index: number): void;
  onStar(row: EventRow): void;
  onFilter(field: string, value: unknown, exclude: boolean): void;
  /** Index of a row to mark (the anchor of a context view). */
  anchor?: number | null;
  /**
   * Scroll a row into view once the table has laid out its rows (a new
   * `nonce` asks again). Calling scrollToIndex right after setting state can
   * run before the table has its new row count.
   */
  scrollRequest?: { index: number; align: 'auto' | 'center'; nonce: number } | null;
}

interface Menu {
  x: number;
  y: number;
  field: string;
  value: unknown;
  row: EventRow;
}

function useColumns(scope: string): [SortColumn[], (c: SortColumn[]) => void, Record<string, number>, (c: string, w: number) => void] {
  const [cols, setCols] = useState<SortColumn[]>(() => {
    try {
      const saved = JSON.parse(localStorage.getItem(`loupe-columns-${scope}`) ?? 'null') as SortColumn[] | null;
      if (Array.isArray(saved) && saved.every((c) => (EVENT_TABLE_COLUMNS as readonly string[]).includes(c))) return saved;
    } catch {
      // a damaged preference: fall back to the defaults
    }
    return DEFAULT_COLUMNS;
  });
  const [widths, setWidths] = useState<Record<string, number>>(() => ({ ...DEFAULT_WIDTHS }));
  const save = (c: SortColumn[]) => {
    localStorage.setItem(`loupe-columns-${scope}`, JSON.stringify(c));
    setCols(c);
  };
  return [cols, save, widths, (c, w) => setWidths((m) => ({ ...m, [c]: Math.max(48, Math.min(2000, w)) }))];
}

/**
 * The event table: virtualised rows (only what is on screen is in the DOM),
 * pages fetched as they scroll into view, a sticky header to sort and resize,
 * a column chooser, and a right-click menu to copy or filter on a value.
 */
export const EventTable = forwardRef<EventTableHandle, Props>(function EventTable({ pages, scope, sort, onSort, selected, onSelect, onOpen, onStar, onFilter, anchor, scrollRequest }, ref) {
  const scroll = useRef<HTMLDivElement>(null);
  const [columns, setColumns, widths, setWidth] = useColumns(scope);
  const [chooser, setChooser] = useState(false);
  const [menu, setMenu] = useState<Menu | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const win = useRowWindow(scroll, pages.rowCount, ROW_HEIGHT, HEADER_HEIGHT);
  const { start: firstIndex, end: lastIndex } = win;

  useImperativeHandle(ref, () => ({ scrollToIndex: (i: number, align: 'auto' | 'center' = 'auto') => win.scrollToIndex(i, align), focus: () => scroll.current?.focus() }), [win]);

  const scrollTo = win.scrollToIndex;
  useLayoutEffect(() => {
    if (scrollRequest) scrollTo(scrollRequest.index, scrollRequest.align);
    // Only a new request scrolls; later renders must not pull the view back.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [scrollRequest?.nonce, pages.rowCount > 0]);

  useEffect(() => {
    if (pages.rowCount > 0) pages.ensureRange(firstIndex, lastIndex);
  }, [firstIndex, lastIndex, pages, pages.version]);

  useEffect(() => {
    if (!menu) return;
    const close = () => setMenu(null);
    window.addEventListener('click', close);
    window.addEventListener('scroll', close, true);
    return () => {
      window.removeEventListener('click', close);
      window.removeEventListener('scroll', close, true);
    };
  }, [menu]);

  const totalWidth = 34 + columns.reduce((s, c) => s + (widths[c] ?? 120), 0);
  const template = `34px ${columns.map((c) => `${widths[c] ?? 120}px`).join(' ')}`;

  const startResize = (e: ReactMouseEvent, col: string) => {
    e.preventDefault();
    e.stopPropagation();
    const x0 = e.clientX;
    const w0 = widths[col] ?? 120;
    const move = (ev: MouseEvent) => setWidth(col, w0 + ev.clientX - x0);
    const up = () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  };

  const copy = async (text: string, what: string) => {
    if (await copyText(text)) {
      setCopied(what);
      setTimeout(() => setCopied(null), 1500);
    }
  };

  return (
    <div className="event-table" data-state={pages.state} data-rows={pages.rowCount}>
      <div className="et-scroll" ref={scroll} tabIndex={0} aria-label="Events" role="grid" aria-rowcount={pages.rowCount} data-testid="event-table">
        <div style={{ width: totalWidth, minWidth: '100%' }}>
          <div className="et-head" role="row" style={{ gridTemplateColumns: template }}>
            <div className="et-th et-star-col" role="columnheader">
              <button type="button" className="ghost small" onClick={() => setChooser((o) => !o)} aria-label="Choose columns" title="Choose columns" data-testid="column-chooser-button">
                ⚙
              </button>
            </div>
            {columns.map((c) => (
              <div key={c} className="et-th" role="columnheader" aria-sort={sort.column === c ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
                <button type="button" className="et-sort" onClick={() => onSort({ column: c, dir: sort.column === c && sort.dir === 'desc' ? 'asc' : 'desc' })} data-sort={c}>
                  {c}
                  {sort.column === c ? <span aria-hidden="true">{sort.dir === 'asc' ? ' ▲' : ' ▼'}</span> : null}
                </button>
                <span className="et-resize" onMouseDown={(e) => startResize(e, c)} role="separator" aria-label={`Resize ${c}`} />
              </div>
            ))}
          </div>
          <div className="et-body" style={{ height: win.totalPx }}>
            {rowIndexes(firstIndex, lastIndex, pages.rowCount).map((index) => {
              const y = win.offsetOf(index);
              if (y < -ROW_HEIGHT || y > win.totalPx) return null;
              const v = { index, key: index, start: y };
              const row = pages.getRow(index);
              const isSel = index === selected;
              return (
                <div
                  key={v.key}
                  role="row"
                  aria-rowindex={v.index + 1}
                  aria-selected={isSel}
                  className={`et-row${isSel ? ' selected' : ''}${v.index === anchor ? ' anchor' : ''}${row ? '' : ' pending'}`}
                  style={{ transform: `translateY(${v.start}px)`, gridTemplateColumns: template, borderLeftColor: row ? datasetColor(row.dataset) : 'transparent' }}
                  onClick={() => onSelect(v.index)}
                  onDoubleClick={() => onOpen(v.index)}
                  data-index={v.index}
                  data-id={row?.id ?? undefined}
                >
                  <div className="et-td et-star-col" role="gridcell">
                    {row ? (
                      <button
                        type="button"
                        className={`star${row.starred ? ' on' : ''}`}
                        onClick={(e) => {
                          e.stopPropagation();
                          onStar(row);
                        }}
                        aria-label={row.starred ? 'Remove star' : 'Star this event'}
                        aria-pressed={row.starred === true}
                        data-testid="star"
                      >
                        {row.starred ? '★' : '☆'}
                      </button>
                    ) : null}
                  </div>
                  {columns.map((c) => (
                    <div
                      key={c}
                      className={`et-td et-${c}`}
                      role="gridcell"
                      onContextMenu={(e) => {
                        if (!row) return;
                        e.preventDefault();
                        setMenu({ x: e.clientX, y: e.clientY, field: c, value: row[c], row });
                      }}
                      title={row ? cellText(row[c]) : undefined}
                    >
                      {row ? renderCell(c, row) : c === 'ts' ? <span className="skeleton" /> : null}
                    </div>
                  ))}
                </div>
              );
            })}
          </div>
        </div>
      </div>
      {chooser ? (
        <div className="column-chooser" role="dialog" aria-label="Columns" data-testid="column-chooser">
          <header>
            <strong>Columns</strong>
            <button type="button" className="ghost small" onClick={() => setColumns(DEFAULT_COLUMNS)}>
              Reset
            </button>
            <button type="button" className="ghost small" onClick={() => setChooser(false)} aria-label="Close">
              ✕
            </button>
          </header>
          {EVENT_TABLE_COLUMNS.map((c) => (
            <label key={c} className="check">
              <input
                type="checkbox"
                checked={columns.includes(c)}
                onChange={(e) => setColumns(e.target.checked ? EVENT_TABLE_COLUMNS.filter((x) => x === c || columns.includes(x)) : columns.filter((x) => x !== c))}
              />
              {c}
            </label>
          ))}
        </div>
      ) : null}
      {menu ? (
        <ul className="context-menu" role="menu" style={{ left: menu.x, top: menu.y }} data-testid="cell-menu">
          <li role="menuitem" onClick={() => void copy(cellText(menu.value), 'value')}>
            Copy value
          </li>
          <li role="menuitem" onClick={() => void copy(JSON.stringify(menu.row, null, 2), 'row')}>
            Copy row as JSON
          </li>
          {menu.value !== null && menu.value !== '' ? (
            <>
              <li role="menuitem" onClick={() => onFilter(menu.field, menu.value, false)}>
                Show only {menu.field} = {cellText(menu.value).slice(0, 40)}
              </li>
              <li role="menuitem" onClick={() => onFilter(menu.field, menu.value, true)}>
                Exclude {menu.field} = {cellText(menu.value).slice(0, 40)}
              </li>
            </>
          ) : null}
        </ul>
      ) : null}
      {copied ? (
        <div className="toast" role="status">
          Copied {copied}
        </div>
      ) : null}
    </div>
  );
});

function rowIndexes(first: number, last: number, count: number): number[] {
  const out: number[] = [];
  for (let i = Math.max(0, first); i <= Math.min(last, count - 1); i++) out.push(i);
  return out;
}

function renderCell(c: string, row: EventRow) {
  const v = row[c];
  if (c === 'ts') return <span className="mono">{formatTs(v)}</span>;
  if (c === 'dataset')
    return (
      <span className="ds-badge" style={datasetBadgeStyle(v)}>
        {cellText(v)}
      </span>
    );
  if (c === 'severity' && typeof v === 'string') return <span className={`sev sev-${v}`}>{v}</span>;
  const kind = ENTITY_COLUMNS[c] && typeof v === 'string' && v !== '' ? entityKindOf(c, v) : null;
  if (kind)
    return (
      <EntityLink kind={kind} value={String(v)} inGrid>
        {String(v)}
      </EntityLink>
    );
  if (c === 'message' && Array.isArray(row.tags) && row.tags.length > 0)
    return (
      <>
        {(row.tags as string[]).map((t) => (
          <span key={t} className="tag-chip">
            {t}
          </span>
        ))}
        {cellText(v)}
      </>
    );
  return cellText(v);
}
