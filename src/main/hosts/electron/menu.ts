import { app, Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import { EVENT_CHANNEL } from '../../../preload/bridge';

/**
 * The application menu. Commands that the UI owns (new case, import) are sent
 * to the renderer as a `menu` push event so keyboard users get the same paths.
 */
export function buildMenu(win: BrowserWindow): Menu {
  const send = (command: string) => () => win.webContents.send(EVENT_CHANNEL, 'menuCommand', { command });
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        { label: 'New Case…', accelerator: 'CmdOrCtrl+N', click: send('newCase') },
        { label: 'Open Case…', accelerator: 'CmdOrCtrl+O', click: send('openCase') },
        { label: 'Import Files…', accelerator: 'CmdOrCtrl+I', click: send('importFiles') },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(app.isPackaged ? [] : ([{ role: 'toggleDevTools' }] as MenuItemConstructorOptions[])),
      ],
    },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}
