/** How a run's state reads in a sentence: progress, waiting, results. */
import type { RunProgress, RunView } from '../../electron/api/contract.ts';
import { fmtDuration, fmtInt, fmtReturn, unitLabel } from './format.ts';

export function progressFraction(run: Pick<RunView, 'status' | 'progress'>): number | null {
  if (run.status === 'completed') return 1;
  const p = run.progress;
  if (!p || p.total <= 0) return run.status === 'running' ? null : 0;
  // A stopped run in a later phase (evaluation) had finished training: show where it stopped in that phase.
  return p.step / p.total;
}

const PHASE: Record<RunProgress['phase'], string> = {
  train: 'training',
  extract: 'extracting the knowledge base',
  evaluate: 'evaluating',
  replay: 'recording replays',
};

export function progressLabel(run: Pick<RunView, 'status' | 'progress' | 'startedAt' | 'finishedAt' | 'checkpointStep'>, waitingFor: string | null): string {
  const p = run.progress;
  switch (run.status) {
    case 'queued':
      return waitingFor ? `waiting for ${waitingFor}` : 'queued';
    case 'completed': {
      const secs = run.startedAt && run.finishedAt ? (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000 : null;
      return secs !== null && Number.isFinite(secs) ? `done in ${fmtDuration(secs)}` : 'done';
    }
    case 'running': {
      if (!p) return 'starting…';
      const phase = p.phase === 'train' ? '' : `${PHASE[p.phase]}: `;
      const eta = p.etaSeconds !== null ? ` · ETA ${fmtDuration(p.etaSeconds)}` : '';
      return `${phase}${fmtInt(p.step)} / ${fmtInt(p.total)} ${unitLabel(p.unit)}${eta}`;
    }
    case 'interrupted':
    case 'cancelled':
    case 'failed': {
      const at = p ? ` at ${p.phase === 'train' ? '' : `${PHASE[p.phase]} `}${fmtInt(p.step)} / ${fmtInt(p.total)} ${unitLabel(p.unit)}` : '';
      const checkpoint = run.status !== 'failed' && run.checkpointStep !== null ? ` · checkpoint at ${fmtInt(run.checkpointStep)}` : '';
      return `${run.status}${at}${checkpoint}`;
    }
  }
}

/** "412.3 ± 8.1" (mean ± 95% CI half-width), "412.3 (CI n/a: 1 episode)" or "—". */
export function resultLabel(run: Pick<RunView, 'result'>): string {
  const r = run.result;
  if (!r || r.evalMean === null) return '—';
  if (r.evalCi95 !== null) return `${fmtReturn(r.evalMean)} ± ${fmtReturn(r.evalCi95)}`;
  return r.evalEpisodes === 1 ? `${fmtReturn(r.evalMean)} (CI n/a: 1 episode)` : fmtReturn(r.evalMean);
}
