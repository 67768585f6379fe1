/**
 * A long-running host (serve, the desktop app) keeps the analyst's session
 * alive through a promise rejection nobody handled: Node's default would end
 * the process, and with it every open view and running import. The rejection
 * is still a bug, so it is written out in full, under a marker the E2E
 * fixtures look for.
 */
export const STRAY_REJECTION_MARKER = 'Loupe internal error (kept running)';

export function surviveStrayRejections(write: (text: string) => void): void {
  process.on('unhandledRejection', (reason) => {
    const detail = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    write(`${STRAY_REJECTION_MARKER}: unhandled rejection: ${detail}\n`);
  });
}
