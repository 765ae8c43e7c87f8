/**
 * `distill-studio` command-line entry: the same core as the desktop app, no UI. Each command validates all
 * of its flags before doing anything; a usage error prints the command's usage and exits with code 2.
 */
import { UsageError } from './args.ts';

export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

interface Command {
  usage: string;
  run(argv: string[], io: CommandIo): Promise<number>;
}

// Loaded on demand: a command pays only for the modules it uses.
const COMMANDS: Record<string, () => Promise<Command>> = {
  'train-teacher': () => import('./commands/train-teacher.ts'),
  eval: () => import('./commands/eval.ts'),
  extract: () => import('./commands/extract.ts'),
  distill: () => import('./commands/distill.ts'),
  baseline: () => import('./commands/baseline.ts'),
  sweep: () => import('./commands/sweep.ts'),
  experiment: () => import('./commands/experiment.ts'),
  runs: () => import('./commands/runs.ts'),
  resume: () => import('./commands/resume.ts'),
  serve: () => import('./commands/serve.ts'),
  export: () => transfer('export'),
  import: () => transfer('import'),
  metrics: () => transfer('metrics'),
  'import-teacher': () => import('./commands/import-teacher.ts'),
  'export-model': () => import('./commands/export-model.ts'),
};

async function transfer(verb: 'export' | 'import' | 'metrics'): Promise<Command> {
  const m = await import('./commands/transfer.ts');
  return { usage: m.usage, run: (argv, io) => m.run(argv, io, verb) };
}

const USAGE = `Usage: distill-studio <command> [flags]

Commands:
  train-teacher   train a DQN teacher, evaluate it on 20 greedy episodes, save the model bundle
  eval            evaluate a saved model bundle greedily on the fixed test seeds
  extract         roll a teacher out and store its Q-values in a knowledge-base file
  distill         train a student with α·L_hard + (1−α)·L_soft from a teacher (and its knowledge base)
  baseline        train a student architecture from scratch with plain DQN on an env-step budget
  sweep           distil a grid of student sizes × α × seeds, with baselines, and tabulate the frontier
  experiment      run a whole experiment from a JSON spec into the database (or replay a stored one)
  runs            list the runs stored in the database
  resume          continue an interrupted run from its last checkpoint
  export, import  move an experiment (everything it owns) between databases as one SQLite file
  metrics         a run's metrics as CSV
  serve           the studio in a browser: the user interface and its API on a loopback address
  import-teacher  import a DQN teacher trained elsewhere (Stable-Baselines3 .zip, torch state dict, .safetensors, .onnx)
  export-model    export a run's model as ONNX, tfjs, a dependency-free ES module or a C header, checked when written

Run "distill-studio <command> --help" for a command's flags.`;

export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr(`distill-studio: unknown command "${name}"; known: ${Object.keys(COMMANDS).join(', ')}\n`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`distill-studio ${name}: ${err.message}\n${command.usage}\n`);
      return 2;
    }
    io.stderr(`distill-studio ${name}: ${(err as Error).message}\n`);
    if (process.env.DISTILL_DEBUG) io.stderr(`${(err as Error).stack}\n`);
    return 1;
  }
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry || process.env.DISTILL_CLI_ENTRY === '1') {
  // `distill-studio runs | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const code = await main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  });
  process.exitCode = code;
}
