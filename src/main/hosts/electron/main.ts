import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, Menu, session, shell } from 'electron';
import { Engine } from '../../engine/service/engine';
import { assertCaseFile } from '../../engine/service/findings-handlers';
import { startStopWatchdog } from '../stop-watchdog';
import { surviveStrayRejections } from '../stray-rejections';
import { registerIpc } from './ipc';
import { buildMenu } from './menu';
import { ElectronPdfRenderer } from './pdf';

/**
 * The desktop shell: one secure window over the same engine the web host and
 * CLI use. It only routes: heavy work runs in the engine's workers.
 */
const rendererFile = join(__dirname, '../renderer/index.html');
const devUrl = process.env.ELECTRON_RENDERER_URL;
const appUrl = devUrl ?? pathToFileURL(rendererFile).href;

function isTrustedUrl(url: string): boolean {
  if (devUrl) return url.startsWith(devUrl);
  return url.split('#')[0]?.split('?')[0] === appUrl;
}

async function createWindow(engine: Engine): Promise<void> {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    backgroundColor: '#0f1216',
    title: 'Loupe',
    show: false,
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  const dispose = registerIpc(engine, win, isTrustedUrl);
  win.on('closed', dispose);
  win.once('ready-to-show', () => win.show());

  // The window only ever shows our renderer: no navigation, no new windows.
  // Links to the web (rule references) open in the system browser instead.
  win.webContents.on('will-navigate', (event, url) => {
    if (!isTrustedUrl(url)) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });

  Menu.setApplicationMenu(buildMenu(win));
  if (devUrl) await win.loadURL(devUrl);
  else await win.loadFile(rendererFile);
}

async function start(): Promise<void> {
  surviveStrayRejections((text) => console.error(text));
  await app.whenReady();
  // No page of ours needs camera, notifications or geolocation: deny them all.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  const engine = new Engine({
    host: 'electron',
    capabilities: { nativeDialogs: true, filePaths: true, uploads: false },
    overrides: {
      pickPaths: async ({ kind, title }) => {
        const win = BrowserWindow.getFocusedWindow();
        const properties: Electron.OpenDialogOptions['properties'] =
          kind === 'files' ? ['openFile', 'multiSelections'] : ['openDirectory', 'createDirectory'];
        const options: Electron.OpenDialogOptions = { title: title ?? 'Loupe', properties };
        const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
        return { paths: result.canceled ? [] : result.filePaths };
      },
      revealPath: async ({ path }) => {
        shell.showItemInFolder(assertCaseFile(engine.case, path));
        return { revealed: true };
      },
    },
    findings: { pdfRenderer: new ElectronPdfRenderer() },
  });
  try {
    await engine.openStartupCase();
  } catch (e) {
    // The UI shows the no-case state and lets the analyst pick one.
    console.error(`loupe: could not open a case at start: ${(e as Error).message}`);
  }
  await createWindow(engine);
  app.on('window-all-closed', () => {
    // Let running queries stop and the case close (releasing its lock) before quitting,
    // but never hang the quit on it: the case survives being cut off.
    const watchdog = startStopWatchdog({ ms: 15_000, steps: ['closing the case'], message: 'Loupe did not close the case within 15 s; quitting anyway.\n' });
    void engine
      .close()
      .catch((e: unknown) => console.error(`loupe: closing the case failed: ${(e as Error).message}`))
      .finally(() => {
        watchdog.done();
        app.quit();
      });
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow(engine);
  });
}

void start();
