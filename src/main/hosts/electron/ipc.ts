import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { OP_NAMES } from '@shared/contract';
import { dispatch } from '../../engine/service/dispatch';
import type { Engine } from '../../engine/service/engine';
import { EVENT_CHANNEL, OP_CHANNEL_PREFIX } from '../../../preload/bridge';

/**
 * Register every contract operation as an IPC handler, and forward pushed
 * events to the window. Only frames that loaded our own renderer may call:
 * a frame that navigated elsewhere (it should not be able to) is refused.
 */
export function registerIpc(engine: Engine, window: BrowserWindow, isTrustedUrl: (url: string) => boolean): () => void {
  for (const name of OP_NAMES) {
    ipcMain.handle(`${OP_CHANNEL_PREFIX}${name}`, async (event: IpcMainInvokeEvent, input: unknown) => {
      const frameUrl = event.senderFrame?.url ?? '';
      if (event.sender !== window.webContents || !isTrustedUrl(frameUrl)) {
        return { ok: false, error: { code: 'REFUSED', message: 'IPC from an untrusted frame' } };
      }
      return dispatch(engine.handlers, name, input);
    });
  }
  const unsubscribe = engine.push.subscribe((event, payload) => {
    if (!window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, event, payload);
  });
  return () => {
    unsubscribe();
    for (const name of OP_NAMES) ipcMain.removeHandler(`${OP_CHANNEL_PREFIX}${name}`);
  };
}
