import type { RegisterCommand } from '../command';
import { registerCase } from './case';
import { registerDemo } from './demo';
import { registerSearch } from './search';
import { registerServe } from './serve';

/** Every subcommand module, in the order `loupe --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerCase, registerDemo, registerSearch, registerServe];
