import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoupeError } from '../../../src/shared/errors';
import { call } from '../../../src/main/engine/service/dispatch';
import { HOSTILE } from '../../fixtures/findings-case';
import { findingsCase, type FindingsCase } from './helpers';

let fc: FindingsCase;
beforeAll(async () => {
  fc = await findingsCase({ events: 5000 });
});
afterAll(async () => fc.cleanup());

const h = () => fc.engine.handlers;

async function codeOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(LoupeError);
  return (e as LoupeError).code;
}

describe('case notes', () => {
  it('saves a note on the case, lists it, edits it and deletes it', async () => {
    const n = await call(h(), 'saveNote', { title: 'Scope', body: 'All **DCs** in scope.' });
    expect(n).toMatchObject({ title: 'Scope', body: 'All **DCs** in scope.', events: [], alerts: [] });
    const edited = await call(h(), 'saveNote', { id: n.id, title: 'Scope (revised)', body: 'DC01 only.' });
    expect(edited.id).toBe(n.id);
    expect(edited.createdAt).toBe(n.createdAt);
    expect((await call(h(), 'listNotes', {})).map((x) => x.title)).toContain('Scope (revised)');
    expect(await call(h(), 'deleteNote', { id: n.id })).toEqual({ deleted: true });
    expect(await call(h(), 'deleteNote', { id: n.id })).toEqual({ deleted: false });
    expect((await call(h(), 'listNotes', {})).some((x) => x.id === n.id)).toBe(false);
  });

  it('attaches notes to events and alerts and finds them from either', async () => {
    const [e1, e2] = fc.brute;
    const n = await call(h(), 'saveNote', { title: 'Brute force', body: 'From 203.0.113.66', events: [e1 as number, e2 as number, e1 as number], alerts: [fc.alerts[0] as number] });
    expect(n.events.map((e) => e.id)).toEqual([e1, e2]);
    expect(n.events[0]).toMatchObject({ exists: true, host: 'DC01.corp.example', dataset: 'windows.security' });
    expect(n.events[0]?.ts).toMatch(/^2024-03-12T\d\d:\d\d:\d\d\.\d+Z$/);
    expect(n.alerts).toEqual([{ id: fc.alerts[0], title: 'Brute force against a domain controller', level: 'high', exists: true }]);
    expect((await call(h(), 'listNotes', { eventId: e2 as number })).map((x) => x.id)).toEqual([n.id]);
    expect((await call(h(), 'listNotes', { alertId: fc.alerts[0] as number })).map((x) => x.id)).toEqual([n.id]);
    expect(await call(h(), 'listNotes', { eventId: fc.hostile[2] as number })).toEqual([]);
  });

  it('refuses links to events or alerts that do not exist, and bad input', async () => {
    expect(await codeOf(call(h(), 'saveNote', { title: 'x', body: '', events: [999_999_999] }))).toBe('NOT_FOUND');
    expect(await codeOf(call(h(), 'saveNote', { title: 'x', body: '', alerts: [424242] }))).toBe('NOT_FOUND');
    expect(await codeOf(call(h(), 'saveNote', { id: 9999, title: 'x', body: '' }))).toBe('NOT_FOUND');
    expect(await codeOf(call(h(), 'saveNote', { title: '  ', body: 'x' }))).toBe('BAD_INPUT');
    expect(await codeOf(call(h(), 'saveNote', { title: 'x', body: 'y'.repeat(200_001) }))).toBe('BAD_INPUT');
  });

  it('stores hostile text exactly as typed', async () => {
    const n = await call(h(), 'saveNote', { title: HOSTILE.noteTitle, body: HOSTILE.noteBody });
    const back = (await call(h(), 'listNotes', {})).find((x) => x.id === n.id);
    expect(back?.title).toBe(HOSTILE.noteTitle);
    expect(back?.body).toBe(HOSTILE.noteBody);
  });
});

describe('bookmarks as evidence', () => {
  it('lists starred events oldest first with comment, tags and source', async () => {
    const b = await call(h(), 'listBookmarks', {});
    expect(b.total).toBe(7);
    const ts = b.rows.map((r) => r.ts ?? '');
    expect([...ts].sort()).toEqual(ts);
    const hostile = b.rows.find((r) => r.id === fc.hostile[0]);
    expect(hostile).toMatchObject({ note: HOSTILE.comment, tags: ['lateral-movement'], host: HOSTILE.host, evidence: HOSTILE.path, pos: 1, srcIp: HOSTILE.ip });
    expect(b.rows.find((r) => r.id === fc.brute[0])?.tags).toEqual(['brute-force', 'initial-access']);
    expect((await call(h(), 'listBookmarks', { tag: 'brute-force' })).rows.map((r) => r.id)).toEqual([fc.brute[0]]);
    expect((await call(h(), 'listBookmarks', { limit: 2, offset: 1 })).rows.map((r) => r.id)).toEqual(b.rows.slice(1, 3).map((r) => r.id));
  });

  it('edits a bookmark comment through setStar, and an empty comment clears it', async () => {
    const id = fc.brute[1] as number;
    await call(h(), 'setStar', { id, starred: true, note: 'second attempt' });
    expect((await call(h(), 'listBookmarks', {})).rows.find((r) => r.id === id)?.note).toBe('second attempt');
    await call(h(), 'setStar', { id, starred: true, note: '' });
    expect((await call(h(), 'listBookmarks', {})).rows.find((r) => r.id === id)?.note).toBeNull();
    expect((await call(h(), 'eventDetail', { id })).starred).toBe(true);
  });
});
