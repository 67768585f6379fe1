import { describe, expectTypeOf, it } from 'vitest';
import type { BridgeApi, LoupeApi, OpInput, OpOutput, Result } from '../../../src/shared/contract';
import { createHttpClient } from '../../../src/shared/http-client';
import { createBridge } from '../../../src/preload/bridge';
import type { Handlers } from '../../../src/main/engine/service/handlers';
import type { Engine } from '../../../src/main/engine/service/engine';

// These fail to compile, not at run time, when the preload, the HTTP client or
// the engine's handlers drift from the contract.
describe('contract types', () => {
  it('the preload bridge is the BridgeApi', () => {
    expectTypeOf(createBridge).returns.toEqualTypeOf<BridgeApi>();
    expectTypeOf<BridgeApi['openCase']>().toEqualTypeOf<(input: OpInput<'openCase'>) => Promise<Result<OpOutput<'openCase'>>>>();
  });

  it('the HTTP client is the LoupeApi', () => {
    expectTypeOf(createHttpClient).returns.toEqualTypeOf<LoupeApi>();
    expectTypeOf<LoupeApi['getCaseInfo']>().returns.resolves.toEqualTypeOf<OpOutput<'getCaseInfo'>>();
  });

  it('the engine implements every operation', () => {
    expectTypeOf<Engine['handlers']>().toEqualTypeOf<Handlers>();
    expectTypeOf<keyof Handlers>().toEqualTypeOf<keyof LoupeApi>();
  });
});
