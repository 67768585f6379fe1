import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { BrowserWindow, session } from 'electron';
import { LoupeError } from '@shared/errors';
import type { PdfRenderer } from '../../engine/report/pdf';

/**
 * The desktop app prints reports with Electron's own Chromium: a hidden
 * window, JavaScript off, in a throwaway in-memory session that refuses
 * every request except the report file itself.
 */
const PARTITION = 'loupe-report-print';

export class ElectronPdfRenderer implements PdfRenderer {
  readonly kind = 'electron' as const;

  available(): { ok: boolean; detail: string } {
    return { ok: true, detail: "Electron's printToPDF" };
  }

  async render(htmlFile: string, pdfFile: string, opts: { workDir: string; signal?: AbortSignal | undefined }): Promise<void> {
    const allowed = pathToFileURL(htmlFile).href;
    const ses = session.fromPartition(PARTITION);
    ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: details.url.split('#')[0] !== allowed }));
    const win = new BrowserWindow({
      show: false,
      webPreferences: { javascript: false, sandbox: true, contextIsolation: true, nodeIntegration: false, session: ses, spellcheck: false },
    });
    const onAbort = () => win.destroy();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await win.loadURL(allowed);
      const data = await win.webContents.printToPDF({ printBackground: true, preferCSSPageSize: true, displayHeaderFooter: false });
      writeFileSync(pdfFile, data);
    } catch (e) {
      if (opts.signal?.aborted) throw new LoupeError('CANCELLED', 'PDF printing was cancelled');
      throw new LoupeError('IO_ERROR', `Printing the report failed: ${(e as Error).message}`);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      if (!win.isDestroyed()) win.destroy();
    }
  }
}
