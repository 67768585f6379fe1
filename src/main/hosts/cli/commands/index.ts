import type { RegisterCommand } from '../command';
import { registerCase } from './case';
import { registerEvtx } from './evtx';
import { registerIntel } from './intel';
import { registerRules } from './rules';
import { registerServe } from './serve';

/** Every subcommand module, in the order `loupe --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerCase, registerEvtx, registerIntel, registerRules, registerServe];
