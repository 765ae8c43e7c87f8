/**
 * The app's life: one instance per user (a second launch focuses the first window), and a clean stop. Runs
 * belong to the studio process, not to a window: a reload keeps them going. When the app quits (last window
 * closed, Cmd-Q, SIGINT/SIGTERM), the runs it was running become `interrupted`, to be resumed on the next start.
 */
import { app, BrowserWindow } from 'electron';
import type { Studio } from '../service/studio.ts';

export function setupSingleInstance(): boolean {
  if (!app.requestSingleInstanceLock()) return false;
  app.on('second-instance', () => {
    const [window] = BrowserWindow.getAllWindows();
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });
  return true;
}

export function setupLifecycle(studio: Studio): void {
  let stopped = false;
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    void studio.close().finally(() => {
      stopped = true;
      app.quit();
    });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => app.quit());
}
