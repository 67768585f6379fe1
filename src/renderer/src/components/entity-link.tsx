import type { ReactNode } from 'react';
import type { EntityKind } from '@shared/overview-contract';
import { entityHref } from '../lib/entities';

const LABEL: Record<EntityKind, string> = { ip: 'IP', user: 'user', host: 'host' };

/**
 * An IP, user or host value that opens its entity page. Used in every view
 * that shows one, so the analyst can always pivot to "everything about X".
 * Inside a grid (the event table) it leaves the tab order to the grid.
 */
export function EntityLink({ kind, value, children, inGrid = false, className }: { kind: EntityKind; value: string; children?: ReactNode; inGrid?: boolean; className?: string }) {
  return (
    <a
      className={`entity-link${className ? ` ${className}` : ''}`}
      href={entityHref(kind, value)}
      title={`Open the ${LABEL[kind]} page of ${value}`}
      data-entity={kind}
      tabIndex={inGrid ? -1 : undefined}
      onClick={(e) => e.stopPropagation()}
      onDoubleClick={(e) => e.stopPropagation()}
    >
      {children ?? value}
    </a>
  );
}
