import type { ReactNode } from 'react';

export interface BarItem {
  key: string;
  /** The label: plain text, or an entity link (then `href` is the count's drill-down). */
  label: ReactNode;
  /** Accessible text of the drill-down. */
  drillLabel: string;
  href: string;
  value: number;
  /** A second count drawn after the first (logons: failures after successes). */
  second?: { value: number; href: string; drillLabel: string };
  /** Extra cells after the label (country, IPsum score). */
  extra?: ReactNode;
  color?: string;
}

/**
 * Top-N as HTML rows with proportional bars: each label can link to its
 * entity, each count drills into Search. Keyboard and screen readers reach
 * every row, which a canvas chart would not give them.
 */
export function BarList({ items, firstColor, secondColor, labels }: { items: BarItem[]; firstColor?: string; secondColor?: string; labels?: { first: string; second: string } }) {
  const max = Math.max(1, ...items.map((i) => i.value + (i.second?.value ?? 0)));
  return (
    <ol className="bar-list">
      {labels ? (
        <li className="bar-legend" aria-hidden="true">
          <span className="swatch" style={{ background: firstColor }} /> {labels.first}
          <span className="swatch" style={{ background: secondColor }} /> {labels.second}
        </li>
      ) : null}
      {items.map((i) => (
        <li key={i.key} className="bar-row">
          <div className="bar-line">
            <span className="bar-label">{i.label}</span>
            {i.extra}
            <a className="bar-count" href={i.href} aria-label={i.drillLabel} title={i.drillLabel}>
              {i.value.toLocaleString()}
            </a>
            {i.second ? (
              <a className="bar-count second" href={i.second.href} aria-label={i.second.drillLabel} title={i.second.drillLabel}>
                {i.second.value.toLocaleString()}
              </a>
            ) : null}
          </div>
          <div className="bar-track" aria-hidden="true">
            <span className="bar-fill" style={{ width: `${(i.value / max) * 100}%`, background: i.color ?? firstColor }} />
            {i.second ? <span className="bar-fill" style={{ width: `${(i.second.value / max) * 100}%`, background: secondColor }} /> : null}
          </div>
        </li>
      ))}
    </ol>
  );
}
