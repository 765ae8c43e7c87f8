import { selectBackend } from '../core/nn/backend.ts';

/** Activates the best available backend (wasm on the build machines) once per test file. */
export async function useBackend(): Promise<string> {
  return (await selectBackend('auto')).name;
}

/** Learning tests pin wasm, so their thresholds are checked on the numbers they were measured with. */
export async function pinBackend(): Promise<string> {
  return (await selectBackend('wasm')).name;
}
