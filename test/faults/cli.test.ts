/**
 * Faults: the command line and the studio service. Issue 9 § Refuse bad input before doing work — `extract
 * --db <not a database>` ran the whole extraction, `sweep --db <bad>` created its folder, `experiment run
 * --backend tensorflow` stored an experiment of failed runs, `distill --student 100000,100000` stored a failed
 * run, read-only commands created a database at a mistyped path, `--db ""`; § Data loss — `--out` of every
 * command onto what the user has, or onto the open database; § CLI — flags before a positional argument, a
 * positional named as a flag, `--steps -5` "ambiguous", "95% CI ±NaN" for one episode, a spec with a UTF-8 BOM,
 * the teacher union's "Invalid input", `"teacher": {"model": PATH}`. Plus what the UI helper met: an import
 * refusal naming a server temp path, "run 7 it depends on failed".
 *
 * The CLI runs in this process (main() from electron/cli/main.ts): the same code as `distill-studio`, without
 * a node start-up per command.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExperimentSpec } from '../../core/experiment/spec.ts';
import { saveKnowledgeBaseFile } from '../../core/kb/kb-file.ts';
import { saveBundle } from '../../core/nn/bundle.ts';
import { openDatabase } from '../../db/index.ts';
import { resultLabel } from '../../renderer/lib/run-labels.ts';
import { openStudio } from '../../electron/service/studio.ts';
import { makeKb } from '../db/fixtures.ts';
import { realBundle } from './fixtures.ts';
import { cli, expectCliRefused, expectHandled, expectRefusedAsync, tempDir } from './helpers.ts';

const SUITE = 'cli';
const { dir, cleanup } = tempDir();
afterAll(cleanup);

const at = (...p: string[]) => path.join(dir, ...p);
/** A database with one stored model (model 1), then what the tests add. */
const studioDb = at('studio.db');
const teacher = at('teacher');
const kbFile = at('cp.dskb');
const notADb = at('notes.txt');
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);

beforeAll(() => {
  saveBundle(teacher, realBundle());
  saveKnowledgeBaseFile(kbFile, makeKb(300));
  fs.writeFileSync(notADb, 'my notes, not a database\n'.repeat(50));
  const db = openDatabase(studioDb);
  db.models.save({ runId: null, kind: 'imported', bundle: realBundle(2) });
  db.close();
});

describe('bad input is refused before any work, and nothing is created', () => {
  it('a --db that is not a database: extract and sweep write neither their outputs nor the file', async () => {
    await expectCliRefused(SUITE, 'extract --db <not a database>', ['extract', '--teacher', teacher, '--steps', '200', '--seed', '1', '--out', at('x.dskb'), '--db', notADb], {
      code: 2,
      message: /--db: .*notes\.txt is not a Distill Studio database/,
      unchanged: [notADb],
      absent: [at('x.dskb')],
    });
    await expectCliRefused(SUITE, 'sweep --db <not a database>', ['sweep', '--teacher', teacher, '--kb', kbFile, '--students', '4', '--alphas', '0', '--seeds', '1', '--out', at('sweep-out'), '--db', notADb], {
      code: 2,
      message: /--db: .*notes\.txt is not a Distill Studio database/,
      unchanged: [notADb],
      absent: [at('sweep-out')],
    });
  });

  it('a backend that is not installed is refused before the experiment is stored', async () => {
    const spec = at('spec-tf.json');
    fs.writeFileSync(spec, JSON.stringify({ version: 1, name: 'tf', env: 'CartPole-v1', teacher: { model: teacher }, students: [{ hiddenSizes: [4], steps: 50 }], baselines: false }));
    await expectCliRefused(SUITE, 'experiment run --backend tensorflow (not installed)', ['experiment', 'run', spec, '--backend', 'tensorflow', '--db', at('tf.db')], {
      code: 2,
      message: /--backend: backend "tensorflow" is not available/,
      absent: [at('tf.db')],
    });
  });

  it('a network too large for the memory is refused with the memory it needs', async () => {
    await expectCliRefused(SUITE, 'distill --student 100000,100000', ['distill', '--teacher', teacher, '--kb', kbFile, '--student', '100000,100000', '--seed', '1', '--db', at('big.db')], {
      code: 2,
      message: /--student: a 4-100000-100000-2 network has a weight matrix of 1\.00e\+10 values, more than one array can hold .* training it would need about \d+ GiB/,
      absent: [at('big.db')],
    });
    await expectCliRefused(SUITE, 'distill --student 30000,30000 (fits an array, not the wasm memory)', ['distill', '--teacher', teacher, '--kb', kbFile, '--student', '30000,30000', '--seed', '1', '--db', at('big.db')], {
      code: 2,
      message: /--student: training a 4-30000-30000-2 network \(900,\d+,\d+ parameters\) needs about [\d.]+ GiB, more than the [\d.]+ GiB available/,
      absent: [at('big.db')],
    });
    await expectCliRefused(SUITE, 'baseline --student 30000,30000', ['baseline', '--env', 'CartPole-v1', '--student', '30000,30000', '--steps', '100', '--seed', '1', '--db', at('big.db')], {
      code: 2,
      message: /--student: training a 4-30000-30000-2 network .* needs about/,
      absent: [at('big.db')],
    });
    const spec = at('spec-big.json');
    fs.writeFileSync(spec, JSON.stringify({ version: 1, name: 'big', env: 'CartPole-v1', teacher: { model: teacher }, students: [{ hiddenSizes: [4] }, { hiddenSizes: [30000, 30000] }] }));
    await expectCliRefused(SUITE, 'experiment run with a student too large', ['experiment', 'run', spec, '--db', studioDb], {
      code: 2,
      message: /students\.1\.hiddenSizes: training a 4-30000-30000-2 network .* needs about/,
      unchanged: [studioDb],
    });
    // The app's validation says the same, on the field.
    const studio = openStudio({ dbFile: studioDb });
    try {
      const v = await studio.validateSpec({ spec: JSON.parse(fs.readFileSync(spec, 'utf8')) });
      expect(v.ok).toBe(false);
      expect(!v.ok && v.issues[0]).toMatchObject({ path: 'students.1.hiddenSizes', message: expect.stringMatching(/^training a 4-30000-30000-2 network .* needs about/) });
    } finally {
      await studio.close();
    }
  });

  it('read-only commands never create a database at a mistyped path; --db "" is an error', async () => {
    const typo = at('studoi.db');
    const readers: [string, string[]][] = [
      ['runs', ['runs']],
      ['metrics', ['metrics', '1']],
      ['export', ['export', '1', '--out', at('never.dsx')]],
      ['resume', ['resume', '1']],
      ['experiment replay', ['experiment', 'replay', '1']],
      ['export-model', ['export-model', 'model:1', '--format', 'js', '--out', at('never.mjs')]],
    ];
    for (const [name, args] of readers) {
      await expectCliRefused(SUITE, `${name} --db <mistyped path>`, [...args, '--db', typo], { code: 2, message: /--db: .*studoi\.db: no such database file \(this command reads an existing studio database/, absent: [typo, at('never.dsx'), at('never.mjs')] });
    }
    for (const args of [['runs'], ['train-teacher', '--env', 'CartPole-v1', '--seed', '1'], ['import', at('x.dsx')]]) {
      await expectCliRefused(SUITE, `${args[0]} --db ""`, [...args, '--db', ''], { code: 2, message: /--db must name a database file \(it is empty\)/ });
    }
  });
});

describe('outputs: never overwritten without --force, never the open database', () => {
  it('train-teacher, distill, baseline and extract refuse a taken --out before any work', async () => {
    const mine = at('my-project');
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, 'thesis.tex'), '\\documentclass{article}');
    const file = at('notes.md');
    fs.writeFileSync(file, '# notes');
    const fresh = at('fresh.db');
    const cases: [string, string[], RegExp][] = [
      ['train-teacher --out <a folder of the user\'s files>', ['train-teacher', '--env', 'CartPole-v1', '--seed', '1', '--out', mine], /--out: .*my-project already exists and is not empty \(thesis\.tex\); choose a new folder, or pass --force/],
      ['train-teacher --out <a previous model bundle>', ['train-teacher', '--env', 'CartPole-v1', '--seed', '1', '--out', teacher], /--out: .*teacher already exists and is not empty \(meta\.json, model\.json, weights\.bin\)/],
      ['train-teacher --out <a file>', ['train-teacher', '--env', 'CartPole-v1', '--seed', '1', '--out', file], /--out: .*notes\.md is a file, not a folder; choose another path, or pass --force/],
      ['distill --out <a folder of the user\'s files>', ['distill', '--teacher', teacher, '--kb', kbFile, '--student', '4', '--seed', '1', '--out', mine], /--out: .*my-project already exists and is not empty/],
      ['baseline --out <a file>', ['baseline', '--env', 'CartPole-v1', '--student', '4', '--steps', '100', '--seed', '1', '--out', file], /--out: .*notes\.md is a file, not a folder/],
      ['extract --out <an existing file>', ['extract', '--teacher', teacher, '--steps', '100', '--seed', '1', '--out', file], /--out: .*notes\.md already exists; pass --force to replace it/],
      ['sweep --out <a folder of the user\'s files>', ['sweep', '--teacher', teacher, '--kb', kbFile, '--students', '4', '--alphas', '0', '--seeds', '1', '--out', mine], /--out: .*my-project already exists and is not empty/],
    ];
    for (const [name, args, message] of cases) await expectCliRefused(SUITE, name, [...args, '--db', fresh], { code: 1, message, unchanged: [mine, file, teacher], absent: [fresh] });
  });

  it('metrics, export, extract and export-model refuse the open database under every spelling, even with --force', async () => {
    const rel = path.relative(process.cwd(), studioDb);
    const dotted = at('sub', '..', 'studio.db');
    const symlink = at('link.db');
    fs.symlinkSync(studioDb, symlink);
    const hardlink = at('hard.db');
    fs.linkSync(studioDb, hardlink);
    const spellings: [string, string][] = [
      ['same path', studioDb],
      ['relative path', rel],
      ['path with ..', dotted],
      ['symbolic link', symlink],
      ['hard link', hardlink],
      ['its -wal file', `${studioDb}-wal`],
    ];
    const commands: [string, string[]][] = [
      ['metrics', ['metrics', '1']],
      ['export', ['export', '1']],
      ['extract', ['extract', '--teacher', teacher, '--steps', '100', '--seed', '1']],
      ['export-model', ['export-model', 'model:1', '--format', 'js']],
    ];
    for (const [command, args] of commands) {
      for (const [spelling, target] of command === 'metrics' ? spellings : spellings.filter(([s]) => s === 'symbolic link' || s === 'hard link')) {
        await expectCliRefused(SUITE, `${command} --out <the open database: ${spelling}> --force`, [...args, '--out', target, '--force', '--db', studioDb], {
          code: 1,
          message: /is the open studio database/,
          unchanged: [studioDb],
        });
      }
    }
  });

  it('metrics and export refuse an existing --out file, and replace it with --force', async () => {
    const csv = at('metrics.csv');
    fs.writeFileSync(csv, 'my spreadsheet');
    const db = openDatabase(studioDb);
    const e = db.experiments.create({ name: 'outputs', spec: {}, specVersion: 1 });
    const run = db.runs.create({ experimentId: e.id, role: 'teacher', config: {}, seed: 1 });
    db.metrics.append(run.id, [{ step: 1, key: 'charts/epsilon', value: 0.5 }]);
    db.close();
    await expectCliRefused(SUITE, 'metrics --out <an existing file>', ['metrics', '--out', csv, '--db', studioDb, String(run.id)], { code: 1, message: /--out: .*metrics\.csv already exists; pass --force/, unchanged: [csv] });
    await expectCliRefused(SUITE, 'export --out <an existing file>', ['export', '--db', studioDb, '--out', csv, String(e.id)], { code: 1, message: /--out: .*metrics\.csv already exists; pass --force/, unchanged: [csv] });
    await expectHandled(SUITE, 'metrics --out <an existing file> --force', async () => {
      const r = await cli('metrics', String(run.id), '--out', csv, '--force', '--db', studioDb);
      expect(r.code).toBe(0);
      expect(fs.readFileSync(csv, 'utf8')).toBe(`run_id,key,step,value\n${run.id},charts/epsilon,1,0.5\n`);
    });
  });
});

describe('the command line parses like a well-kept CLI', () => {
  it('flags before a positional argument; positional arguments named as such; negative numbers are values', async () => {
    await expectHandled(SUITE, 'flags before the positional argument (resume --db F 3, export --out F --db F 3)', async () => {
      const r = await cli('runs', '--json', '--db', studioDb);
      expect(r.code).toBe(0);
      const out = at('flags-first.dsx');
      const e = await cli('export', '--out', out, '--db', studioDb, '1');
      expect(e.stderr).toBe('');
      expect(e.code).toBe(0);
      expect(fs.existsSync(out)).toBe(true);
    });
    await expectCliRefused(SUITE, 'resume abc (a positional named as such)', ['resume', '--db', studioDb, 'abc'], { code: 2, message: /resume: RUN must be a positive integer, got "abc"/, unchanged: [studioDb] });
    await expectCliRefused(SUITE, 'train-teacher --steps -5', ['train-teacher', '--env', 'CartPole-v1', '--seed', '1', '--steps', '-5', '--db', at('neg.db')], { code: 2, message: /--steps must be a positive integer \(at most 1000000000\), got "-5"/, absent: [at('neg.db')] });
    await expectCliRefused(SUITE, 'export-model --out --json (a flag where a value belongs)', ['export-model', 'model:1', '--format', 'js', '--out', '--json', '--db', studioDb], { code: 2, message: /--out needs a value, got the flag "--json"/, unchanged: [studioDb] });
    await expectCliRefused(SUITE, 'a mistyped flag gets a suggestion', ['runs', '--jsno', '--db', studioDb], { code: 2, message: /Unknown option '--jsno' \(Did you mean --json\?\)/, unchanged: [studioDb] });
  });

  it('the teacher union error names the accepted forms', async () => {
    const spec = at('spec-union.json');
    fs.writeFileSync(spec, JSON.stringify({ version: 1, name: 'u', env: 'CartPole-v1', teacher: { bundle: teacher }, students: [{ hiddenSizes: [4] }] }));
    await expectCliRefused(SUITE, 'a teacher of no accepted form', ['experiment', 'run', spec, '--db', studioDb], {
      code: 2,
      message: /teacher: must be one of \{"train": \{…\}\} \(train a teacher\), \{"model": PATH\} \(a model bundle folder\) or \{"modelId": N\} \(a stored model\), got "bundle"/,
      unchanged: [studioDb],
    });
  });
});

describe('runs', () => {
  it('a spec with a UTF-8 BOM and "teacher": {"model": PATH} runs end to end; one evaluation episode has no CI, not ±NaN', async () => {
    const db = at('pipeline.db');
    const spec = at('spec-bom.json');
    const body = { version: 1, name: 'bom', env: 'CartPole-v1', teacher: { model: 'teacher' }, knowledgeBase: { steps: 300 }, students: [{ hiddenSizes: [4], steps: 60 }], baselines: false, evaluation: { episodes: 1, replays: 0 } };
    fs.writeFileSync(spec, `\uFEFF${JSON.stringify(body)}`);
    await expectHandled(SUITE, 'experiment spec with a UTF-8 BOM and a teacher bundle folder', async () => {
      const r = await cli('experiment', 'run', spec, '--db', db, '--jobs', '1', '--json');
      expect(r.code, r.stderr).toBe(0);
      const out = lastJson(r.stdout);
      expect(out.runs.map((x: { role: string; status: string }) => `${x.role} ${x.status}`)).toEqual(['teacher completed', 'student completed']);
      expect(out.runs[1]).toMatchObject({ evalEpisodes: 1, evalCi95: null });
    });
    await expectHandled(SUITE, 'one evaluation episode: "95% CI n/a (1 episode)", never ±NaN', async () => {
      const r = await cli('eval', '--model', teacher, '--episodes', '1');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/\(95% CI n\/a \(1 episode\)\)/);
      expect(r.stdout).not.toMatch(/NaN/);
      const studio = openStudio({ dbFile: db });
      try {
        const runs = await studio.listRuns({});
        for (const v of runs) {
          expect(v.result).toMatchObject({ evalEpisodes: 1, evalCi95: null });
          expect(resultLabel(v)).toMatch(/^[\d.]+ \(CI n\/a: 1 episode\)$/);
        }
      } finally {
        await studio.close();
      }
    });
  });

  it('an import refusal names the user\'s file, not the server\'s copy; dependents say their teacher run failed', async () => {
    const db = at('service.db');
    const studio = openStudio({ dbFile: db, poolSize: 1 });
    try {
      const e = await expectRefusedAsync(SUITE, 'importExperiment of a damaged upload', () => studio.importExperiment({ fileName: 'my-export.dsx', bytes: new Uint8Array(4096).fill(7) }), /^my-export\.dsx is not a Distill Studio database/, [db]);
      expect(e.message).not.toMatch(/distill-import-|\/tmp\//);

      // A teacher whose stored model fails its checksum fails at once; its student then says why it never ran.
      const model = studio.db.models.save({ runId: null, kind: 'imported', bundle: realBundle(3) });
      const spec = parseExperimentSpec({ version: 1, name: 'dep', env: 'CartPole-v1', teacher: { modelId: model.id }, knowledgeBase: { steps: 100 }, students: [{ hiddenSizes: [4], steps: 20 }], baselines: false, evaluation: { episodes: 1, replays: 0 } });
      const created = await studio.createFromSpec(spec, { start: false });
      const raw = new Database(db);
      raw.prepare('UPDATE models SET weights = zeroblob(length(weights)) WHERE id = ?').run(model.id);
      raw.close();
      await studio.execute(created.runs.map((r) => r.runId));
      await expectHandled(SUITE, 'a dependent of a failed teacher says "its teacher run N failed"', () => {
        const [t, s] = studio.db.runs.list({ experimentId: created.experimentId });
        expect(t.status).toBe('failed');
        expect(s).toMatchObject({ status: 'failed', error: `its teacher run ${t.id} failed` });
      });
    } finally {
      await studio.close();
    }
  });
});

describe('stopped runs continue, on the backend they were recorded with', () => {
  const db = at('resume.db');
  let runId = 0;
  let checkpoint = 0;

  beforeAll(async () => {
    const { parseDqnConfig } = await import('../../core/dqn/config.ts');
    const { presetConfig } = await import('../../core/dqn/presets.ts');
    const { createTeacherRun } = await import('../../electron/service/runs.ts');
    const config = parseDqnConfig({ ...presetConfig('CartPole-v1', 'default'), env: 'CartPole-v1', seed: 1, totalSteps: 5000, hiddenSizes: [16], gradientSteps: 16, evalEvery: 0 });
    const studio = openStudio({ dbFile: db, backend: 'wasm', poolSize: 1, checkpointEvery: 500 });
    try {
      const created = studio.createRuns((d) => createTeacherRun(d, { config, evalEpisodes: 1, name: 'stopped teacher' }));
      runId = created.runs[0].runId;
      void studio.execute([runId]);
      const until = Date.now() + 120_000;
      while ((studio.db.checkpoints.info(runId)?.step ?? 0) < 1500 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    } finally {
      await studio.close(); // the run becomes interrupted, its checkpoint kept
    }
    const raw = new Database(db);
    checkpoint = raw.prepare('SELECT step FROM checkpoints WHERE run_id = ?').pluck().get(runId) as number;
    raw.close();
  }, 180_000);

  const setRun = (sql: string, ...values: unknown[]) => {
    const raw = new Database(db);
    raw.prepare(`UPDATE runs SET ${sql} WHERE id = ?`).run(...values, runId);
    raw.close();
  };

  it('a run recorded on a backend that is missing here is refused, naming it and --backend; a diverged run says why', async () => {
    expect(checkpoint).toBeGreaterThanOrEqual(1500);
    // As if it had been trained on a machine with libtensorflow, then failed because the disk was full.
    setRun(`backend = 'tensorflow', status = 'failed', error = 'database or disk is full'`);
    await expectCliRefused(SUITE, 'resume of a run recorded on a backend missing here', ['resume', '--db', db, String(runId)], {
      code: 1,
      message: new RegExp(`run ${runId} was trained on backend "tensorflow", which is not available here .*resume --backend NAME.*the arithmetic differs`),
      unchanged: [db],
    });
    await expectCliRefused(SUITE, 'resume --backend <not installed>', ['resume', '--db', db, '--backend', 'tensorflow-gpu', String(runId)], { code: 1, message: /backend "tensorflow-gpu" is not available here/, unchanged: [db] });
    setRun(`backend = 'wasm', error = 'training diverged: TD loss is NaN at env step 1500 (gradient step 64); try a lower learningRate or enable maxGradNorm'`);
    await expectCliRefused(SUITE, 'resume of a diverged run', ['resume', '--db', db, String(runId)], { code: 1, message: /diverged .*would diverge again .*changed configuration/, unchanged: [db] });
  });

  it('an externally failed run resumes from its checkpoint on its recorded backend (not the default wasm+fused)', async () => {
    setRun(`backend = 'wasm', status = 'failed', error = 'database is locked'`);
    await expectHandled(SUITE, 'resume of a run that failed for a reason outside itself', async () => {
      const r = await cli('resume', '--db', db, String(runId), '--json');
      expect(r.code, r.stderr).toBe(0);
      const out = lastJson(r.stdout);
      expect(out).toMatchObject({ resumedFrom: checkpoint, backend: 'wasm', runs: [{ id: runId, status: 'completed', backend: 'wasm' }] });
      const raw = new Database(db, { readonly: true });
      const steps = raw.prepare(`SELECT m.step FROM metrics m JOIN metric_series s ON s.id = m.series_id WHERE s.run_id = ? AND s.key = 'charts/epsilon' ORDER BY m.step`).pluck().all(runId) as number[];
      raw.close();
      expect(new Set(steps).size).toBe(steps.length); // no step written twice across the stop
      expect(steps.at(-1)).toBe(5000);
    });
  });
});

describe('startup undoes what killed processes left half-written', () => {
  it('an import and a knowledge-base save of a process that is gone are removed when the studio opens', async () => {
    const db = at('startup.db');
    const d = openDatabase(db);
    const kept = d.experiments.create({ name: 'kept', spec: {}, specVersion: 1 });
    const dead = 2 ** 22 + 12345; // above Linux's default pid_max: no such process
    const half = d.experiments.create({ name: 'half-imported', spec: { importing: { pid: dead, startedAt: new Date().toISOString(), source: 'x.dsx', ranges: {} } }, specVersion: 1 });
    const kb = d.knowledgeBases.save(makeKb(50)).id;
    d.close();
    const raw = new Database(db);
    raw.prepare(`UPDATE experiments SET spec = json_set(spec, '$.importing.ranges', json(?)) WHERE id = ?`).run(JSON.stringify({ experiments: [half.id, half.id] }), half.id);
    raw.prepare(`UPDATE knowledge_bases SET size = 0, stats = json_set(stats, '$.savingByPid', ?) WHERE id = ?`).run(dead, kb);
    raw.close();
    await expectHandled(SUITE, 'studio start after a killed import and a killed KB save', async () => {
      const studio = openStudio({ dbFile: db });
      try {
        expect(studio.db.experiments.list().map((e) => e.name)).toEqual([kept.name]);
        expect(studio.db.knowledgeBases.list().map((k) => k.id)).not.toContain(kb);
        const check = new Database(db, { readonly: true });
        expect(check.prepare('SELECT count(*) FROM knowledge_bases WHERE id = ?').pluck().get(kb)).toBe(0);
        check.close();
      } finally {
        await studio.close();
      }
    });
  });
});
