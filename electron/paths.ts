/** Where the app's own files are, in development (sources run by tsx) and when bundled (dist/*.mjs, or inside the packaged app). */
import fs from 'node:fs';
import path from 'node:path';

/** The folder of Distill Studio's package.json, found upwards from this module. */
export function appRoot(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'distill-studio') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find Distill Studio's package.json above ${from}`);
  }
}

/** The built renderer (Vite's output): dist/renderer under the app root. */
export function rendererDir(root: string = appRoot()): string {
  return path.join(root, 'dist', 'renderer');
}

export function rendererIsBuilt(dir: string = rendererDir()): boolean {
  return fs.existsSync(path.join(dir, 'index.html'));
}
