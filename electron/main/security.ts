/**
 * Electron's security checklist for every web contents the app creates: no navigation away from the studio,
 * no new windows, no <webview>, no permission prompts (camera, notifications…), and no remote content.
 */
import { app, session } from 'electron';
import { APP_HOST, APP_SCHEME } from './ipc.ts';

const isStudioUrl = (raw: string) => {
  try {
    const url = new URL(raw);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
};

export function setupSecurity(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isStudioUrl(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isStudioUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  void app.whenReady().then(() => {
    // Writing to the clipboard ("copy the frontier as PNG") is the one permission granted; reading it is not.
    const allowed = (permission: string) => permission === 'clipboard-sanitized-write';
    session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(allowed(permission)));
    session.defaultSession.setPermissionCheckHandler((_contents, permission) => allowed(permission));
  });
}
