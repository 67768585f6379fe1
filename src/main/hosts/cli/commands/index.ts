import type { RegisterCommand } from '../command';
import { registerCase } from './case';
import { registerEvidence } from './evidence';
import { registerImport } from './import';
import { registerServe } from './serve';

/** Every subcommand module, in the order `loupe --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerCase, registerImport, registerEvidence, registerServe];
