import type { RegisterCommand } from '../command';
import { registerCase } from './case';
import { registerEvidence } from './evidence';
import { registerEvtx } from './evtx';
import { registerImport } from './import';
import { registerIntel } from './intel';
import { registerRules } from './rules';
import { registerServe } from './serve';

/** Every subcommand module, in the order `loupe --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerCase, registerImport, registerEvidence, registerEvtx, registerIntel, registerRules, registerServe];
