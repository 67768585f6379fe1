import { LoupeError } from '@shared/errors';
import { deleteEvidenceData, deleteEvidenceRows, getIngestErrors, listEvidence, withDescendants } from '../ingest/evidence-store';
import { FORMAT_NAMES, FORMATS } from '../ingest/format-support';
import type { Engine } from './engine';
import type { Handlers } from './handlers';

/** What an analyst may choose in a format override: everything a file can be read as. */
const READABLE_FORMATS = FORMAT_NAMES.filter((f) => !['zip', 'gzip', 'tar', 'binary'].includes(f));

/** The import domain's operations (issue 3): start, watch, cancel, inspect and remove evidence. */
export function importHandlers(engine: Engine) {
  return {
    importPaths: async (input) => ({ importId: await engine.imports.start(input) }),
    reimportEvidence: async ({ evidenceIds, format, tz }) => {
      await refuseLive(engine, evidenceIds, 'read again from a file');
      return {
        importId: await engine.imports.start({ reimport: evidenceIds, ...(format ? { format } : {}), ...(tz ? { tz } : {}) }),
      };
    },
    cancelImport: async ({ importId }) => ({ cancelled: engine.imports.cancel(importId) }),
    getImport: async ({ importId }) => engine.imports.status(importId),
    listEvidence: async () => ({ evidence: await listEvidence(engine.case.conn) }),
    getIngestErrors: async ({ evidenceId, offset, limit, kind }) => getIngestErrors(engine.case.conn, evidenceId, offset, limit, kind),
    removeEvidence: async ({ evidenceIds }) => {
      if (engine.imports.busy) throw new LoupeError('REFUSED', 'An import is running: cancel it or let it finish before removing evidence');
      await refuseLive(engine, evidenceIds, 'removed as evidence');
      const conn = engine.case.conn;
      const ids = await withDescendants(conn, evidenceIds);
      await conn.run('BEGIN TRANSACTION');
      try {
        for (const id of ids) await deleteEvidenceData(conn, id);
        await deleteEvidenceRows(conn, ids);
        await conn.run('COMMIT');
      } catch (e) {
        await conn.run('ROLLBACK');
        throw e;
      }
      await engine.alerts.afterEvidenceRemoved();
      engine.push.emit('caseChanged', { case: await engine.case.info() });
      return { removed: ids.length };
    },
    listFormats: async () => ({ formats: READABLE_FORMATS.map((name) => ({ name, label: FORMATS[name] })) }),
  } satisfies Partial<Handlers>;
}

/** A live source's evidence is managed by the source (removeLiveSource), not re-read or removed as a file. */
async function refuseLive(engine: Engine, ids: number[], what: string): Promise<void> {
  const live = await engine.live.liveEvidence(ids);
  if (live.length > 0) throw new LoupeError('REFUSED', `Evidence #${live.join(', #')} is a live source: it cannot be ${what}; remove it from the Live view instead`);
}
