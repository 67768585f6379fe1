import type { RegisterCommand } from '../command';
<<<<<<< HEAD
import { registerCase } from './case';
import { registerEvtx } from './evtx';
import { registerIntel } from './intel';
import { registerServe } from './serve';

/** Every subcommand module, in the order `loupe --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerCase, registerEvtx, registerIntel, registerServe];
=======
import { registerRules } from './rules';

/** Every subcommand module, in the order `loupe --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerRules];
>>>>>>> sigma
