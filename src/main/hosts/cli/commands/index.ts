import type { RegisterCommand } from '../command';
import { registerIntel } from './intel';

/** Every subcommand module, in the order `loupe --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerIntel];
