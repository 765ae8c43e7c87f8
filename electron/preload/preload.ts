/**
 * The preload (sandboxed, context-isolated): exposes the contract's verbs and event subscription under
 * `window.distillStudio`, nothing else — never ipcRenderer itself (Electron's security checklist; STYLE.md 6).
 * Bundled to dist/preload.cjs; it imports only names from electron/api/ipc.ts.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_EVENT_NAMES, PRELOAD_GLOBAL, REQUEST_NAMES, ipcChannel, type PreloadBridge } from '../api/ipc.ts';

export function createBridge(ipc: Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>): PreloadBridge {
  const verbs = Object.fromEntries(REQUEST_NAMES.map((name) => [name, (input: unknown) => ipc.invoke(ipcChannel(name), input)]));
  const on = (event: string, listener: (payload: unknown) => void) => {
    if (!(IPC_EVENT_NAMES as readonly string[]).includes(event)) throw new Error(`unknown event "${event}"; known: ${IPC_EVENT_NAMES.join(', ')}`);
    if (typeof listener !== 'function') throw new Error('on(event, listener): listener must be a function');
    const handler = (_e: unknown, message: { event: string; payload: unknown }) => {
      if (message?.event === event) listener(message.payload);
    };
    ipc.on(IPC_EVENT_CHANNEL, handler);
    return () => void ipc.removeListener(IPC_EVENT_CHANNEL, handler);
  };
  return Object.freeze({ ...verbs, on }) as unknown as PreloadBridge;
}

contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, createBridge(ipcRenderer));
