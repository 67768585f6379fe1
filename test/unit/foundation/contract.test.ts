import { describe, expect, it } from 'vitest';
import { OP_NAMES, operations, PUSH_EVENT_NAMES } from '../../../src/shared/contract';
import { createHttpClient } from '../../../src/shared/http-client';
import { createBridge, OP_CHANNEL_PREFIX } from '../../../src/preload/bridge';
import { dispatch } from '../../../src/main/engine/service/dispatch';
import { Engine } from '../../../src/main/engine/service/engine';

describe('contract', () => {
  it('gives every operation an input and an output schema', () => {
    for (const name of OP_NAMES) {
      expect(operations[name].input, name).toBeDefined();
      expect(operations[name].output, name).toBeDefined();
    }
  });

  it('the preload bridge exposes exactly the operations plus on/pathForFile, each on its own channel', async () => {
    const calls: string[] = [];
    const bridge = createBridge({
      invoke: async (channel) => {
        calls.push(channel);
        return { ok: true, value: null };
      },
      onEvent: () => () => undefined,
      pathForFile: () => '/x',
    });
    expect(Object.keys(bridge).sort()).toEqual([...OP_NAMES, 'on', 'pathForFile'].sort());
    await bridge.getAppInfo({});
    expect(calls).toEqual([`${OP_CHANNEL_PREFIX}getAppInfo`]);
    expect(() => bridge.on('notAnEvent' as never, () => undefined)).toThrow(/Unknown event/);
    expect(PUSH_EVENT_NAMES).toContain('caseChanged');
  });

  it('the HTTP client exposes exactly the operations and surfaces engine errors with their code', async () => {
    const client = createHttpClient({
      baseUrl: 'http://x',
      token: 't',
      fetch: async () => new Response(JSON.stringify({ ok: false, error: { code: 'NO_CASE_OPEN', message: 'none' } }), { status: 200 }),
    });
    expect(Object.keys(client).sort()).toEqual([...OP_NAMES].sort());
    await expect(client.getCaseInfo({})).rejects.toMatchObject({ code: 'NO_CASE_OPEN', message: 'none' });
  });

  it('dispatch validates input with the schema before any handler runs', async () => {
    const engine = new Engine({ host: 'test' });
    const bad = await dispatch(engine.handlers, 'openCase', { dir: 42 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    const extra = await dispatch(engine.handlers, 'getAppInfo', { sneaky: true });
    expect(extra).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    const noCase = await dispatch(engine.handlers, 'getCaseInfo', {});
    expect(noCase).toMatchObject({ ok: false, error: { code: 'NO_CASE_OPEN' } });
  });
});
