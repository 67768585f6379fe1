import type { ReactNode } from 'react';
import type { EntityKind } from '@shared/overview-contract';
import { entityHref } from '../lib/entities';

const LABEL: Record<EntityKind, string> = { ip: 'IP', user: 'user', host: 'host' };

/**
 * An IP, user or host value that opens its entity page. Used in every view
 * that shows one, so the analyst can always pivot to "everything about X".
 *
 * In a grid (the event table) a click on a row selects it, so there the
 * value stays text and a small ↗ beside it (shown on the hovered or
 * selected row) is the link; it also stays out of the grid's tab order.
 */
export function EntityLink({ kind, value, children, inGrid = false, className }: { kind: EntityKind; value: string; children?: ReactNode; inGrid?: boolean; className?: string }) {
  const title = `Open the ${LABEL[kind]} page of ${value}`;
  if (inGrid)
    return (
      <span className="grid-entity">
        <span className="grid-entity-value">{children ?? value}</span>
        <a className="entity-jump" href={entityHref(kind, value)} title={title} aria-label={title} data-entity={kind} tabIndex={-1} onClick={(e) => e.stopPropagation()} onDoubleClick={(e) => e.stopPropagation()}>
          ↗
        </a>
      </span>
    );
  return (
    <a className={`entity-link${className ? ` ${className}` : ''}`} href={entityHref(kind, value)} title={title} data-entity={kind}>
      {children ?? value}
    </a>
  );
}
