import { Fragment, type ReactNode } from 'react';
import { parseMarkdown, type Block, type Inline } from '@shared/markdown';

/**
 * A note's Markdown as React elements, from the same safe parse tree the
 * report renders: no HTML string ever reaches the DOM, so text a note
 * quotes from a hostile log line stays text.
 */
export function MarkdownView({ text, className }: { text: string; className?: string }) {
  return <div className={`markdown ${className ?? ''}`}>{blocks(parseMarkdown(text))}</div>;
}

function blocks(list: Block[]): ReactNode {
  return list.map((b, i) => <Fragment key={i}>{block(b)}</Fragment>);
}

function block(b: Block): ReactNode {
  switch (b.t) {
    case 'heading': {
      const H = `h${Math.min(6, b.level + 2)}` as 'h3' | 'h4' | 'h5' | 'h6';
      return <H>{inline(b.c)}</H>;
    }
    case 'para':
      return <p>{inline(b.c)}</p>;
    case 'code':
      return (
        <pre>
          <code>{b.v}</code>
        </pre>
      );
    case 'quote':
      return <blockquote>{blocks(b.c)}</blockquote>;
    case 'hr':
      return <hr />;
    case 'list': {
      const items = b.items.map((it, i) => <li key={i}>{it.length === 1 && it[0]?.t === 'para' ? inline(it[0].c) : blocks(it)}</li>);
      return b.ordered ? <ol start={b.start}>{items}</ol> : <ul>{items}</ul>;
    }
    case 'table':
      return (
        <table className="md-table">
          <thead>
            <tr>
              {b.head.map((c, i) => (
                <th key={i} style={b.align[i] ? { textAlign: b.align[i] ?? undefined } : undefined}>
                  {inline(c)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {b.rows.map((r, i) => (
              <tr key={i}>
                {r.map((c, k) => (
                  <td key={k} style={b.align[k] ? { textAlign: b.align[k] ?? undefined } : undefined}>
                    {inline(c)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      );
  }
}

function inline(list: Inline[]): ReactNode {
  return list.map((n, i) => {
    switch (n.t) {
      case 'text':
        return <Fragment key={i}>{n.v}</Fragment>;
      case 'code':
        return <code key={i}>{n.v}</code>;
      case 'br':
        return <br key={i} />;
      case 'em':
        return <em key={i}>{inline(n.c)}</em>;
      case 'strong':
        return <strong key={i}>{inline(n.c)}</strong>;
      case 'del':
        return <del key={i}>{inline(n.c)}</del>;
      case 'link':
        // The parser only lets http(s) and mailto through; the desktop shell opens them in the system browser.
        return (
          <a key={i} href={n.href} target="_blank" rel="noopener noreferrer">
            {inline(n.c)}
          </a>
        );
    }
  });
}
