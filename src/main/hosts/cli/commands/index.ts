import type { RegisterCommand } from '../command';
import { registerCase } from './case';
import { registerSearch } from './search';
import { registerServe } from './serve';

/** Every subcommand module, in the order `loupe --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerCase, registerSearch, registerServe];
