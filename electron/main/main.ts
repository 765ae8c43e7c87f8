/**
 * Distill Studio's Electron main process: a short list of feature setups (STYLE.md 7, after Electron Fiddle).
 * The studio service (runs, database) lives here for as long as the app runs; windows talk to it over IPC.
 */
import path from 'node:path';
import { app, BrowserWindow, ipcMain } from 'electron';
import { defaultDatabasePath } from '../../db/index.ts';
import { rendererDir } from '../paths.ts';
import { openStudio } from '../service/studio.ts';
import { setupDownloads } from './downloads.ts';
import { forwardEvents, registerIpc } from './ipc.ts';
import { setupLifecycle, setupSingleInstance } from './lifecycle.ts';
import { registerAppScheme, setupAppProtocol } from './protocol.ts';
import { setupSecurity } from './security.ts';
import { createMainWindow } from './window.ts';

registerAppScheme();
if (!setupSingleInstance()) app.exit(0);
else {
  setupSecurity();
  setupDownloads();
  const studio = openStudio({ dbFile: defaultDatabasePath() });
  void studio.warmUp(); // the workers load tfjs while the window opens
  registerIpc(ipcMain, studio);
  forwardEvents(studio, (channel, message) => BrowserWindow.getAllWindows().forEach((w) => w.webContents.send(channel, message)));
  setupLifecycle(studio);
  // main.mjs is always the bundle (dist/): the preload bundle sits beside it.
  const preload = path.join(import.meta.dirname, 'preload.cjs');
  void app.whenReady().then(() => {
    setupAppProtocol(rendererDir());
    createMainWindow(preload);
    app.on('activate', () => BrowserWindow.getAllWindows().length === 0 && createMainWindow(preload));
  });
}
