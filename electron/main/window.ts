/** The studio's window: sandboxed, isolated, no Node in the page; the preload exposes the contract's verbs only. */
import path from 'node:path';
import { BrowserWindow } from 'electron';
import { APP_URL } from './ipc.ts';

export function createMainWindow(preload: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 700,
    show: false,
    title: 'Distill Studio',
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: path.resolve(preload),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(`${APP_URL}index.html`);
  return window;
}
