/** The catalog (environments, presets, documented fields, metric keys) changes only with the host: load once. */
import type { Catalog } from '../../electron/api/contract.ts';
import { api } from './api/client.ts';

let cached: Promise<Catalog> | null = null;

export function loadCatalog(): Promise<Catalog> {
  if (!cached) {
    cached = api().catalog({});
    cached.catch(() => (cached = null)); // a failed load is retried next time
  }
  return cached;
}
