import type { RegisterCommand } from '../command';
import { registerCase } from './case';
import { registerDemo } from './demo';
import { registerEvidence } from './evidence';
import { registerEvtx } from './evtx';
import { registerFindings } from './findings';
import { registerForward } from './forward';
import { registerHunt } from './hunt';
import { registerImport } from './import';
import { registerIntel } from './intel';
import { registerLive } from './live';
import { registerRules } from './rules';
import { registerSearch } from './search';
import { registerServe } from './serve';

/** Every subcommand module, in the order `loupe --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerCase, registerImport, registerLive, registerEvidence, registerEvtx, registerSearch, registerHunt, registerIntel, registerRules, registerFindings, registerForward, registerDemo, registerServe];
