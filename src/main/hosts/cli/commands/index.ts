import type { RegisterCommand } from '../command';
import { registerRules } from './rules';

/** Every subcommand module, in the order `loupe --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerRules];
