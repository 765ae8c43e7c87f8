/**
 * `serve`: the studio in a browser. The built renderer and the StudioApi over loopback HTTP + WebSocket
 * (electron/server), with a per-launch token in the printed URL. Runs started here keep running whatever the
 * browser does; stopping the server (Ctrl-C, SIGTERM) leaves them interrupted, to be resumed.
 */
import { BACKEND_NAMES } from '../../../core/nn/backend.ts';
import { rendererDir, rendererIsBuilt } from '../../paths.ts';
import { startServer } from '../../server/server.ts';
import { choiceFlag, intFlag, parseFlags } from '../args.ts';
import type { CommandIo } from '../main.ts';
import { openStudioFlag } from '../studio.ts';

export const usage = `Usage: distill-studio serve [--port P] [--db FILE] [--open] [--json] [--jobs N] [--backend NAME]
  Serves the studio on http://127.0.0.1:P/ (loopback only) with a per-launch token in the URL.
  --port     port to listen on (default: any free port)
  --db       database file (default: the app's, e.g. ~/.config/distill-studio/studio.db; env DISTILL_DB)
  --open     open the URL in the default browser
  --json     when ready, print one line {"url": …, "token": …, "port": …}
  --jobs     worker threads for runs (default: the number of cores)
  --backend  ${BACKEND_NAMES.join(' | ')} | auto (default auto)`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(argv, { port: { type: 'string' }, db: { type: 'string' }, open: { type: 'boolean' }, json: { type: 'boolean' }, jobs: { type: 'string' }, backend: { type: 'string' } });
  const port = intFlag('port', flags.port, { min: 0, max: 65535 }) ?? 0;
  const jobs = intFlag('jobs', flags.jobs, { min: 1, max: 64 });
  const backend = choiceFlag('backend', flags.backend, [...BACKEND_NAMES, 'auto'] as const);
  const dir = rendererDir();
  const studio = openStudioFlag(flags.db, { ...(jobs ? { poolSize: jobs } : {}), ...(backend ? { backend } : {}) });
  let server;
  try {
    server = await startServer({ service: studio, port, rendererDir: dir });
  } catch (err) {
    await studio.close();
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'EADDRINUSE' ? `port ${port} is in use: choose another with --port (or 0 for any free port)` : e.message);
  }
  // The workers load tfjs now, while the page loads, rather than when the first experiment starts.
  void studio.warmUp();
  if (!rendererIsBuilt(dir)) io.stderr(`distill-studio serve: the user interface is not built (no ${dir}/index.html): run "npm run build"; serving the API only\n`);
  if (flags.json === true) io.stdout(`${JSON.stringify({ url: server.url, token: server.token, port: server.port })}\n`);
  else io.stdout(`Distill Studio is at ${server.url}\n(database ${studio.db.file}; Ctrl-C stops it, and runs in progress can be resumed later)\n`);
  if (flags.open === true) {
    const { default: open } = await import('open');
    await open(server.url).catch((err: Error) => io.stderr(`distill-studio serve: could not open a browser (${err.message}); open the URL above\n`));
  }
  // Until a signal: then running runs become interrupted and the server closes.
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  if (flags.json !== true) io.stderr(`\n${signal}: stopping; running runs are left interrupted (resume them later)\n`);
  await server.close();
  await studio.close();
  return 0;
}
