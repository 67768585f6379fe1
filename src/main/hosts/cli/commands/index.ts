import type { RegisterCommand } from '../command';
import { registerCase } from './case';
import { registerDemo } from './demo';
import { registerEvtx } from './evtx';
import { registerFindings } from './findings';
import { registerForward } from './forward';
import { registerIntel } from './intel';
import { registerRules } from './rules';
import { registerSearch } from './search';
import { registerServe } from './serve';

/** Every subcommand module, in the order `loupe --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerCase, registerDemo, registerEvtx, registerFindings, registerForward, registerIntel, registerRules, registerSearch, registerServe];
