import type { RegisterCommand } from '../command';
import { registerEvtx } from './evtx';

/** Every subcommand module, in the order `loupe --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerEvtx];
