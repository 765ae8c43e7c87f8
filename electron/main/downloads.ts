/**
 * Files the studio's page hands to the user (exported experiments, students, CSV, the frontier as PNG) are
 * downloads of blob: URLs; in the desktop app each one opens the system's save dialog, starting in the
 * Downloads folder with the file's own name, and nothing is written anywhere the user did not choose.
 */
import path from 'node:path';
import { app, session } from 'electron';

export function setupDownloads(): void {
  void app.whenReady().then(() => {
    session.defaultSession.on('will-download', (_event, item) => {
      item.setSaveDialogOptions({ title: 'Save as', defaultPath: path.join(app.getPath('downloads'), item.getFilename()) });
    });
  });
}
