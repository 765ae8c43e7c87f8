/** What the UI bench page (bench/ui/page) exposes to its Playwright driver (bench/ui/run-ui.ts). */
import type { Catalog } from '../../electron/api/contract.ts';

export interface BenchSetup {
  readonly scenario: 'list' | 'monitor' | 'compare' | 'frontier' | 'replay' | 'kb';
  readonly catalog: Catalog;
  readonly experiments?: number;
  readonly runs?: number;
  readonly pointsPerSeries?: number;
  /** compare / frontier: runs in the selection, and whether they are grouped over seeds. */
  readonly compareRuns?: number;
  readonly grouped?: boolean;
  /** replay: steps per episode; kb: rows. */
  readonly episodeLength?: number;
  readonly kbRows?: number;
}

export interface BenchPaint {
  /** From mounting the app to the frame after the rows (or the first curves) are in the DOM. */
  readonly mountMs: number;
  /** The same moment measured from the page's navigation start (includes loading and parsing the bundle). */
  readonly sinceNavigationMs: number;
  /** When the bundle started to run and when the app was mounted, since navigation. */
  readonly scriptStartMs: number;
  readonly appStartMs: number;
}

export interface BenchFrames {
  readonly frames: number;
  readonly seconds: number;
  readonly fps: number;
  readonly p95FrameMs: number;
  readonly maxFrameMs: number;
  readonly pointsAppended: number;
  readonly pointsDrawn: number;
}

declare global {
  interface Window {
    benchSetup(setup: BenchSetup): Promise<BenchPaint>;
    /** Set when the page was opened with ?scenario=list&experiments=N: the list mounts as the page loads. */
    benchBoot?: Promise<BenchPaint>;
    benchStream(opts: { seconds: number; batchEveryMs: number; pointsPerBatch: number }): Promise<BenchFrames>;
    /** Plays the mounted replay at `speed` for `seconds` and measures the frames. */
    benchPlay(opts: { seconds: number; speed: number }): Promise<BenchFrames & { stepsShown: number }>;
  }
}
