import type { OpName, OpOutput, OpParsedInput } from '@shared/contract';

/** One implementation per contract operation; the type fails to compile when one is missing. */
export type Handlers = { [K in OpName]: (input: OpParsedInput<K>) => Promise<OpOutput<K>> };
