/**
 * The IPC adapter: one `ipcMain.handle` per contract request. Every call is checked twice before it reaches
 * the service: the sender must be the studio's own page (top frame, app://studio), and the argument must pass
 * the request's schema (`parseRequest`). Answers are IpcResult envelopes (see electron/api/ipc.ts). Events go to
 * the studio's windows on one channel.
 *
 * No `electron` import at run time: main.ts passes ipcMain in, and the tests pass a fake.
 */
import { ApiError, parseRequest, type EventMap, type EventName, type RequestName, type StudioService, type Unsubscribe } from '../api/contract.ts';
import { EVENT_NAMES } from '../api/contract.ts';
import { IPC_EVENT_CHANNEL, REQUEST_NAMES, ipcChannel, type IpcResult } from '../api/ipc.ts';
import { toApiError } from '../service/errors.ts';

/** The scheme and host the renderer is served from (electron/main/protocol.ts). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'studio';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/`;

/** What the handlers see of an invoke event. */
export interface InvokeEvent {
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

/** The part of ipcMain the adapter uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** Only the top frame of a page of the studio's own origin may call the API. */
export function isStudioFrame(event: InvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  try {
    const url = new URL(frame.url);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

export async function handleRequest(service: StudioService, name: RequestName, event: InvokeEvent, input: unknown, isTrusted: (e: InvokeEvent) => boolean = isStudioFrame): Promise<IpcResult<unknown>> {
  if (!isTrusted(event)) {
    return { ok: false, error: new ApiError('forbidden', `${name}: refused, the request did not come from the studio's own page (${event.senderFrame?.url ?? 'no frame'})`).toJSON() };
  }
  try {
    const args = parseRequest(name, input);
    const value = await (service[name] as (a: unknown) => Promise<unknown>)(args);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: toApiError(err).toJSON() };
  }
}

/** Registers a handler per request; returns a function that removes them. */
export function registerIpc(ipc: IpcMainLike, service: StudioService, isTrusted: (e: InvokeEvent) => boolean = isStudioFrame): () => void {
  for (const name of REQUEST_NAMES) ipc.handle(ipcChannel(name), (event, input) => handleRequest(service, name, event, input, isTrusted));
  return () => REQUEST_NAMES.forEach((name) => ipc.removeHandler(ipcChannel(name)));
}

/** Forwards every service event to `send` (the studio's windows) as `{ event, payload }` on IPC_EVENT_CHANNEL. */
export function forwardEvents(service: StudioService, send: (channel: string, message: { event: EventName; payload: EventMap[EventName] }) => void): Unsubscribe {
  const offs = EVENT_NAMES.map((event) => service.on(event, (payload) => send(IPC_EVENT_CHANNEL, { event, payload })));
  return () => offs.forEach((off) => off());
}
