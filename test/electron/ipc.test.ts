/**
 * The Electron adapter without the Electron binary: the preload's bridge and the main process's IPC handlers,
 * wired through fake ipcRenderer/ipcMain objects to a real studio service. Checks that the bridge exposes the
 * contract's verbs only, that every handler checks its sender and validates its argument with the contract's
 * schema before the service sees it, and that events reach the page.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiError, REQUESTS, apiFromBridge, type PreloadBridge, type StudioApi, type StudioService } from '../../electron/api/contract.ts';
import { IPC_EVENT_CHANNEL, PRELOAD_GLOBAL, REQUEST_NAMES, ipcChannel } from '../../electron/api/ipc.ts';
import { forwardEvents, handleRequest, isStudioFrame, registerIpc, type InvokeEvent, type IpcMainLike } from '../../electron/main/ipc.ts';
import { openStudio, type Studio } from '../../electron/service/studio.ts';

/** In-memory ipcMain + ipcRenderer pair: invoke calls the registered handler with the page's frame as sender. */
function fakeIpc(frameUrl: { value: string }) {
  const handlers = new Map<string, (event: InvokeEvent, ...args: unknown[]) => unknown>();
  const listeners = new Map<string, Set<(event: unknown, message: unknown) => void>>();
  const ipcMain: IpcMainLike = { handle: (channel, fn) => void handlers.set(channel, fn), removeHandler: (channel) => void handlers.delete(channel) };
  const ipcRenderer = {
    invoke: async (channel: string, input: unknown) => {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      // Structured clone, as Electron does between processes.
      return structuredClone(await handler({ senderFrame: { url: frameUrl.value, parent: null } }, structuredClone(input)));
    },
    on: (channel: string, fn: (event: unknown, message: unknown) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(fn);
    },
    removeListener: (channel: string, fn: (event: unknown, message: unknown) => void) => void listeners.get(channel)?.delete(fn),
  };
  const sendToPage = (channel: string, message: unknown) => listeners.get(channel)?.forEach((fn) => fn({}, structuredClone(message)));
  return { ipcMain, ipcRenderer, handlers, listeners, sendToPage };
}

const frame = { value: 'app://studio/index.html' };
const ipc = fakeIpc(frame);
const exposed: Record<string, unknown> = {};
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => void (exposed[key] = value) },
  ipcRenderer: ipc.ipcRenderer,
}));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-test-'));
let studio: Studio;
let api: StudioApi;
let bridge: PreloadBridge;

beforeAll(async () => {
  studio = openStudio({ dbFile: path.join(tmp, 'studio.db'), poolSize: 1 });
  registerIpc(ipc.ipcMain, studio);
  forwardEvents(studio, ipc.sendToPage);
  await import('../../electron/preload/preload.ts');
  bridge = exposed[PRELOAD_GLOBAL] as PreloadBridge;
  api = apiFromBridge(bridge);
});
afterAll(async () => {
  await studio.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('preload bridge', () => {
  it('exposes exactly the contract verbs and on(), frozen, and no ipcRenderer', () => {
    expect(Object.keys(exposed)).toEqual([PRELOAD_GLOBAL]);
    expect(Object.keys(bridge).sort()).toEqual([...Object.keys(REQUESTS), 'on'].sort());
    expect(REQUEST_NAMES.slice().sort()).toEqual(Object.keys(REQUESTS).sort());
    expect(Object.isFrozen(bridge)).toBe(true);
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function');
    expect(JSON.stringify(Object.keys(bridge))).not.toMatch(/ipcRenderer|invoke|send/);
    expect(() => bridge.on('notAnEvent' as 'runStatus', () => {})).toThrow(/unknown event "notAnEvent"/);
  });

  it('every request has a handler on its own channel', () => {
    expect([...ipc.handlers.keys()].sort()).toEqual(REQUEST_NAMES.map(ipcChannel).sort());
  });
});

describe('IPC handlers through the contract', () => {
  it('round-trips verbs to the service', async () => {
    expect(await api.listExperiments({})).toEqual([]);
    const catalog = await api.catalog({});
    expect(catalog.envs.map((e) => e.id)).toContain('CartPole-v1');
    const validation = await api.validateSpec({ spec: catalog.specTemplates['CartPole-v1'] });
    expect(validation.ok).toBe(true);
  });

  it('validates arguments with the contract schemas before the service sees them', async () => {
    const spy = vi.spyOn(studio, 'getExperiment');
    const error = await api.getExperiment({ id: 'one' as unknown as number }).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'invalid', issues: [{ path: 'id', message: expect.stringMatching(/expected number/) }] });
    await expect(api.listRuns({ experimentId: 1, extra: 1 } as never)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/extra/) });
    await expect(api.metricSeries({ runIds: [], keys: ['charts/epsilon'] })).rejects.toMatchObject({ code: 'invalid', issues: [{ path: 'runIds' }] });
    expect(spy).not.toHaveBeenCalled();
    await expect(api.getExperiment({ id: 99 })).rejects.toEqual(new ApiError('not_found', 'experiment 99 does not exist'));
    expect(spy).toHaveBeenCalledWith({ id: 99 });
    spy.mockRestore();
  });

  it('fills defaults before calling the service', async () => {
    const service = { createExperiment: vi.fn(async () => ({ experimentId: 1, runIds: [], started: true })) } as unknown as StudioService;
    const result = await handleRequest(service, 'createExperiment', { senderFrame: { url: 'app://studio/', parent: null } }, { spec: {} });
    expect(result).toEqual({ ok: true, value: { experimentId: 1, runIds: [], started: true } });
    expect(service.createExperiment).toHaveBeenCalledWith({ spec: {}, start: true });
  });

  it('refuses requests from any other page or from a sub-frame', async () => {
    for (const url of ['https://evil.example/', 'file:///tmp/x.html', 'app://other/index.html', 'http://127.0.0.1:5173/']) {
      frame.value = url;
      await expect(api.listExperiments({})).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining(url) });
    }
    frame.value = 'app://studio/index.html';
    expect(isStudioFrame({ senderFrame: { url: 'app://studio/index.html', parent: {} } })).toBe(false);
    expect(isStudioFrame({ senderFrame: null })).toBe(false);
    expect(isStudioFrame({ senderFrame: { url: 'app://studio/experiments/2', parent: null } })).toBe(true);
  });

  it('forwards service events to the page, and unsubscribing stops them', async () => {
    const seen: unknown[] = [];
    const off = api.on('experimentsChanged', (e) => seen.push(e));
    const { experimentId } = await api.createExperiment({
      spec: { version: 1, name: 'ipc', env: 'CartPole-v1', teacher: { train: { overrides: { totalSteps: 500 } } }, students: [{ hiddenSizes: [4], steps: 50 }] },
      start: false,
    });
    expect(seen).toEqual([{ experimentId, change: 'created' }]);
    off();
    await api.deleteExperiment({ id: experimentId });
    expect(seen).toHaveLength(1);
    expect(ipc.listeners.get(IPC_EVENT_CHANNEL)?.size ?? 0).toBe(0);
  });

  it('bytes travel as Uint8Array both ways (export, import)', async () => {
    const { experimentId } = await api.createExperiment({ spec: { version: 1, name: 'bytes', env: 'CartPole-v1', teacher: { train: {} }, students: [{ hiddenSizes: [4] }] }, start: false });
    const file = await api.exportExperiment({ id: experimentId });
    expect(file.bytes).toBeInstanceOf(Uint8Array);
    await api.deleteExperiment({ id: experimentId });
    const imported = await api.importExperiment({ fileName: file.fileName, bytes: file.bytes });
    expect(imported.experimentIds).toHaveLength(1);
    await expect(api.importExperiment({ fileName: 'x', bytes: 'not bytes' as unknown as Uint8Array<ArrayBuffer> })).rejects.toMatchObject({ code: 'invalid', issues: [{ path: 'bytes' }] });
  });
});
