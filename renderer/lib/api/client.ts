/**
 * What the app holds at run time: the `StudioApi` (the same in Electron and in the browser) plus the state of
 * the event stream, so a view can say "reconnecting…" and reload what it may have missed.
 */
import type { StudioApi, Unsubscribe } from '../../../electron/api/contract.ts';

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'refused';

export interface ConnectionState {
  readonly status: ConnectionStatus;
  /** A sentence for the user when not open. */
  readonly message: string | null;
  /** Times the event stream opened; > 1 means events may have been missed in between. */
  readonly opens: number;
}

export interface StudioClient {
  readonly api: StudioApi;
  /** How it reaches the host. */
  readonly transport: 'electron' | 'browser';
  connection(): ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): Unsubscribe;
  close(): void;
}

let current: StudioClient | null = null;

/** Chosen once at start (main.ts), or by a test or bench harness before it mounts a view. */
export function setClient(client: StudioClient): void {
  current = client;
}

export function client(): StudioClient {
  if (!current) throw new Error('the StudioApi client is not set (main.ts sets it before mounting the app)');
  return current;
}

/** Shorthand for views: `api().listExperiments({})`. */
export function api(): StudioApi {
  return client().api;
}

/** A client whose connection never changes (Electron IPC, in-memory harnesses). */
export function staticConnection(): Pick<StudioClient, 'connection' | 'onConnection'> {
  const state: ConnectionState = { status: 'open', message: null, opens: 1 };
  return { connection: () => state, onConnection: () => () => {} };
}
