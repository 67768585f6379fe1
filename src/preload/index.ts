import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createBridge, EVENT_CHANNEL } from './bridge';

// The page gets exactly the contract's functions under window.loupe; the
// ipcRenderer object itself never crosses the context bridge.
const api = createBridge({
  invoke: (channel, input) => ipcRenderer.invoke(channel, input),
  onEvent: (listener) => {
    const handler = (_e: Electron.IpcRendererEvent, name: string, payload: unknown): void => listener(name, payload);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, handler);
  },
  pathForFile: (file) => webUtils.getPathForFile(file),
});

contextBridge.exposeInMainWorld('loupe', api);
