import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, openSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LoupeError } from '@shared/errors';

/**
 * Printing the report to PDF. The engine never imports electron, so the way
 * to print is injected: the desktop host hands in Electron's printToPDF, the
 * CLI and the web host use a headless Chromium found on the machine. The
 * report has no script and no external reference, so any of them prints
 * the same page the HTML shows.
 */
export interface PdfRenderer {
  readonly kind: 'electron' | 'chromium';
  /** Whether printing can work here, and how (or why not), in one line. */
  available(): { ok: boolean; detail: string };
  /** Print `htmlFile` (a self-contained report) to `pdfFile`. */
  render(htmlFile: string, pdfFile: string, opts: { workDir: string; signal?: AbortSignal | undefined }): Promise<void>;
}

const CANDIDATES: Record<string, string[]> = {
  linux: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium', '/usr/bin/microsoft-edge'],
  darwin: [
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
    '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
  ],
  win32: [
    'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
    'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
    'C:\\Program Files\\Microsoft\\Edge\\Application\\msedge.exe',
  ],
};

function executable(p: string): boolean {
  try {
    accessSync(p, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** CHROME_PATH first (what CI and the E2E suite set), then the usual install places. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const fromEnv = env.CHROME_PATH ?? env.LOUPE_CHROMIUM;
  if (fromEnv) return executable(fromEnv) ? fromEnv : null;
  return (CANDIDATES[process.platform] ?? []).find(executable) ?? null;
}

const TIMEOUT_MS = 120_000;

export class ChromiumPdfRenderer implements PdfRenderer {
  readonly kind = 'chromium' as const;
  constructor(private readonly binary: string | null = findChromium()) {}

  available(): { ok: boolean; detail: string } {
    if (this.binary) return { ok: true, detail: `headless Chromium at ${this.binary}` };
    return {
      ok: false,
      detail:
        'PDF needs Chrome or Chromium, and none was found (set CHROME_PATH to its executable). Export HTML instead and print it from a browser, or use the desktop app.',
    };
  }

  async render(htmlFile: string, pdfFile: string, opts: { workDir: string; signal?: AbortSignal | undefined }): Promise<void> {
    const binary = this.binary;
    if (!binary) throw new LoupeError('UNSUPPORTED', this.available().detail);
    // A throwaway profile inside the case's tmp folder: nothing of the analyst's browser is read or written.
    const profile = mkdtempSync(join(opts.workDir, 'pdf-profile-'));
    const args = [
      '--headless',
      '--disable-gpu',
      '--disable-extensions',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--no-first-run',
      '--no-default-browser-check',
      '--mute-audio',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      '--no-pdf-header-footer',
      '--print-to-pdf-no-header',
      `--print-to-pdf=${pdfFile}`,
      pathToFileURL(htmlFile).href,
    ];
    // Chromium refuses to start its sandbox as root (containers, CI); the report runs no script either way.
    if (typeof process.getuid === 'function' && process.getuid() === 0) args.unshift('--no-sandbox');
    rmSync(pdfFile, { force: true });
    try {
      await new Promise<void>((done, fail) => {
        const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => {
          if (stderr.length < 8000) stderr += d.toString();
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
        const onAbort = () => child.kill('SIGKILL');
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        child.on('error', (e) => {
          clearTimeout(timer);
          fail(new LoupeError('UNSUPPORTED', `Cannot start ${binary}: ${e.message}`));
        });
        child.on('close', (code, sig) => {
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          if (opts.signal?.aborted) return fail(new LoupeError('CANCELLED', 'PDF printing was cancelled'));
          if (isPdf(pdfFile)) return done();
          const why = sig ? `was stopped (${sig}${sig === 'SIGKILL' ? ', over the time limit' : ''})` : `exited with code ${code}`;
          fail(new LoupeError('IO_ERROR', `Chromium ${why} without writing the PDF: ${lastLines(stderr)}`));
        });
      });
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  }
}

function lastLines(s: string): string {
  const lines = s.trim().split('\n').filter((l) => !/dbus|Fontconfig|gpu_init|sandbox_linux/i.test(l));
  return lines.slice(-3).join(' | ').slice(0, 400) || 'no message';
}

export function isPdf(path: string): boolean {
  if (!existsSync(path) || statSync(path).size < 100) return false;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(5);
    readSync(fd, head, 0, 5, 0);
    return head.toString('latin1') === '%PDF-';
  } finally {
    closeSync(fd);
  }
}

/** Write the HTML where a printer can load it (a file URL under the case's tmp folder). */
export function stageHtml(workDir: string, html: string): { file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(workDir, 'report-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, html);
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
