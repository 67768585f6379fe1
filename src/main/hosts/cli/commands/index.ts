import type { RegisterCommand } from '../command';
import { registerCase } from './case';
import { registerEvtx } from './evtx';
import { registerHunt } from './hunt';
import { registerIntel } from './intel';
import { registerRules } from './rules';
import { registerServe } from './serve';

/** Every subcommand module, in the order `loupe --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerCase, registerEvtx, registerHunt, registerIntel, registerRules, registerServe];
