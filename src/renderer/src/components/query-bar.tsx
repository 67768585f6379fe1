import { forwardRef, useEffect, useImperativeHandle, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { FieldSuggestion, QueryProblem } from '@shared/query-contract';
import { quoteFieldName, tokenize, type Token } from '@shared/query-lexer';
import { useApi } from '../api/context';

export interface QueryBarHandle {
  focus(): void;
}

interface Suggestion {
  label: string;
  detail: string;
  /** Replace [start, end) of the query with this text. */
  insert: string;
  start: number;
  end: number;
}

const CHECK_DELAY_MS = 180;

/**
 * The search box: the query coloured by the same lexer the engine uses, the
 * engine's own verdict on it (unknown field, syntax error) underlined where
 * it is, and completion of field names and of values after `field:`.
 */
interface QueryBarProps {
  value: string;
  onChange: (v: string) => void;
  onSubmit: (v: string) => void;
  busy?: boolean;
  /** While busy, the button cancels the running query. */
  onCancel?: () => void;
  placeholder?: string;
}

export const QueryBar = forwardRef<QueryBarHandle, QueryBarProps>(function QueryBar(
  { value, onChange, onSubmit, busy, onCancel, placeholder },
  ref,
) {
  const api = useApi();
  const input = useRef<HTMLInputElement>(null);
  const overlay = useRef<HTMLDivElement>(null);
  const [problem, setProblem] = useState<QueryProblem | null>(null);
  const [fields, setFields] = useState<FieldSuggestion[]>([]);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [active, setActive] = useState(0);
  const [caret, setCaret] = useState(0);
  const [open, setOpen] = useState(false);

  useImperativeHandle(ref, () => ({ focus: () => input.current?.focus() }), []);

  useEffect(() => {
    api.suggestFields({ prefix: '', limit: 1000 }).then(setFields, () => setFields([]));
  }, [api]);

  // The engine checks the query as it is typed (debounced): same parser, same field catalog.
  useEffect(() => {
    let stale = false;
    const t = setTimeout(() => {
      api.checkQuery({ query: value }).then(
        (r) => {
          if (!stale) setProblem(r.problem);
        },
        () => undefined,
      );
    }, CHECK_DELAY_MS);
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [api, value]);

  const tokens = useMemo(() => tokenize(value), [value]);

  // Completion for the token under the caret.
  useEffect(() => {
    if (!open) return;
    let stale = false;
    const at = tokenAt(tokens, caret);
    const fieldTok = at && at.kind === 'word' ? previousField(tokens, at) : at?.kind === 'colon' ? previousField(tokens, at) : undefined;
    if (fieldTok && at) {
      const start = at.kind === 'colon' ? at.end : at.start;
      const prefix = at.kind === 'colon' ? '' : value.slice(at.start, caret);
      api.suggestValues({ field: fieldTok.text, prefix, limit: 8 }).then(
        (vals) => {
          if (stale) return;
          setSuggestions(vals.map((v) => ({ label: v.value, detail: v.count.toLocaleString(), insert: quoteValue(v.value), start, end: at.kind === 'colon' ? at.end : at.end })));
          setActive(0);
        },
        () => !stale && setSuggestions([]),
      );
    } else {
      const start = at && (at.kind === 'word' || at.kind === 'field') ? at.start : caret;
      const prefix = value.slice(start, caret).toLowerCase();
      const list = prefix
        ? fields.filter((f) => f.name.toLowerCase().startsWith(prefix)).concat(fields.filter((f) => !f.name.toLowerCase().startsWith(prefix) && f.name.toLowerCase().includes(prefix)))
        : [];
      const end = at && at.kind === 'field' ? at.end + 1 : at && at.kind === 'word' ? at.end : caret;
      setSuggestions(
        list.slice(0, 10).map((f) => ({
          label: f.name,
          detail: f.origin === 'original' ? `${f.sources} source${f.sources === 1 ? '' : 's'} · ${f.datasets.slice(0, 2).join(', ')}` : f.origin,
          insert: `${quoteFieldName(f.name)}:`,
          start,
          end,
        })),
      );
      setActive(0);
    }
    return () => {
      stale = true;
    };
  }, [api, caret, fields, open, tokens, value]);

  const accept = (s: Suggestion) => {
    const next = value.slice(0, s.start) + s.insert + value.slice(s.end);
    onChange(next);
    const pos = s.start + s.insert.length;
    setCaret(pos);
    requestAnimationFrame(() => input.current?.setSelectionRange(pos, pos));
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    const showing = open && suggestions.length > 0;
    if (showing && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      setActive((a) => (a + (e.key === 'ArrowDown' ? 1 : suggestions.length - 1)) % suggestions.length);
      return;
    }
    if (showing && e.key === 'Tab') {
      e.preventDefault();
      const s = suggestions[active];
      if (s) accept(s);
      return;
    }
    if (e.key === 'Enter') {
      e.preventDefault();
      const s = suggestions[active];
      if (showing && s && e.currentTarget.selectionStart === caret && isMidToken(tokens, caret)) {
        accept(s);
        return;
      }
      setOpen(false);
      onSubmit(value);
      return;
    }
    if (e.key === 'Escape') {
      if (showing) {
        e.stopPropagation();
        setOpen(false);
      } else input.current?.blur();
    }
  };

  const fixField = problem?.suggestion && /^Unknown field/.test(problem.message) ? problem.suggestion : null;

  return (
    <div className="query-bar" data-state={problem ? 'invalid' : 'valid'}>
      <div className="qb-box">
        <svg className="qb-icon" width="16" height="16" viewBox="0 0 24 24" aria-hidden="true">
          <path d="M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14Zm9 16-4.3-4.3" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
        </svg>
        <div className="qb-field">
          <div className="qb-overlay mono" ref={overlay} aria-hidden="true">
            {highlight(value, tokens, problem)}
          </div>
          <input
            ref={input}
            className="qb-input mono"
            value={value}
            spellCheck={false}
            autoComplete="off"
            placeholder={placeholder ?? 'Search: free text, field:value, "a phrase", ip:10.0.0.0/8, port:>1024, NOT, OR, ( )'}
            aria-label="Search query"
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? 'query-problem' : undefined}
            data-testid="query-input"
            onChange={(e) => {
              onChange(e.target.value);
              setCaret(e.target.selectionStart ?? e.target.value.length);
              setOpen(true);
            }}
            onKeyDown={onKeyDown}
            onKeyUp={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
            onClick={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
            onScroll={(e) => {
              if (overlay.current) overlay.current.scrollLeft = e.currentTarget.scrollLeft;
            }}
            onBlur={() => setTimeout(() => setOpen(false), 150)}
          />
        </div>
        {busy && onCancel ? (
          <button type="button" className="secondary" onClick={onCancel} data-testid="query-cancel">
            Cancel
          </button>
        ) : (
          <button type="button" onClick={() => onSubmit(value)} data-testid="query-submit">
            Search
          </button>
        )}
      </div>
      {open && suggestions.length > 0 ? (
        <ul className="qb-suggest" role="listbox" data-testid="query-suggestions">
          {suggestions.map((s, i) => (
            <li key={`${s.label}-${i}`} role="option" aria-selected={i === active} className={i === active ? 'active' : undefined} onMouseDown={(e) => e.preventDefault()} onClick={() => accept(s)}>
              <span className="mono">{s.label}</span>
              <span className="muted">{s.detail}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {problem ? (
        <p className="qb-problem" id="query-problem" role="alert" data-testid="query-problem">
          <span>
            {problem.message} <span className="muted">(at {problem.start + 1})</span>
          </span>
          {fixField ? (
            <button type="button" className="ghost small" onClick={() => onChange(value.slice(0, problem.start) + fixField + value.slice(problem.end))} data-testid="query-fix">
              Use {fixField}
            </button>
          ) : problem.suggestion ? (
            <span className="muted"> — {problem.suggestion}</span>
          ) : null}
        </p>
      ) : null}
    </div>
  );
});

function highlight(text: string, tokens: Token[], problem: QueryProblem | null): ReactNode[] {
  const out: ReactNode[] = [];
  let pos = 0;
  const push = (s: string, cls: string | null, key: string) => {
    if (!s) return;
    out.push(cls ? (
      <span key={key} className={cls}>
        {s}
      </span>
    ) : (
      s
    ));
  };
  tokens.forEach((t, i) => {
    push(text.slice(pos, t.start), null, `g${i}`);
    let cls = `tok-${t.kind}`;
    if (t.kind === 'word' && t.wild) cls += ' tok-wild';
    if (problem && t.start < problem.end && t.end > problem.start) cls += ' tok-problem';
    push(text.slice(t.start, t.end), cls, `t${i}`);
    pos = t.end;
  });
  push(text.slice(pos), null, 'tail');
  // A trailing space keeps the overlay's width in step with the input's caret.
  out.push(' ');
  return out;
}

function tokenAt(tokens: Token[], caret: number): Token | undefined {
  return tokens.find((t) => caret > t.start && caret <= t.end) ?? tokens.find((t) => t.kind === 'colon' && t.end === caret);
}

function isMidToken(tokens: Token[], caret: number): boolean {
  const t = tokenAt(tokens, caret);
  return t !== undefined && (t.kind === 'word' || t.kind === 'colon' || t.kind === 'field');
}

function previousField(tokens: Token[], at: Token): Token | undefined {
  const i = tokens.indexOf(at);
  if (at.kind === 'colon') return tokens[i - 1]?.kind === 'field' ? tokens[i - 1] : undefined;
  const colon = tokens[i - 1];
  if (colon?.kind === 'colon' && colon.end === at.start) return tokens[i - 2]?.kind === 'field' ? tokens[i - 2] : undefined;
  return undefined;
}

function quoteValue(v: string): string {
  return /^[A-Za-z0-9_.:\-/@]+$/.test(v) && !/^(and|or|not|to)$/i.test(v) ? v : `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
