/**
 * Reading zip archives (Stable-Baselines3 saves, and torch.save's zip format, which SB3 nests inside its own)
 * with fflate: stored and deflated entries, ZIP64 records (SB3 writes its .pth entries with force_zip64).
 */
import { unzipSync } from 'fflate';
import { ModelFileError, reason } from './errors.ts';

export const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04] as const;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ZIP_MAGIC.every((b, i) => bytes[i] === b);
}

/** All entries of an archive (or those `keep` accepts) by name; a truncated or corrupt archive names `file`. */
export function readZip(bytes: Uint8Array, file: string, keep?: (name: string) => boolean): Map<string, Uint8Array> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, keep ? { filter: (f) => keep(f.name) } : {});
  } catch (err) {
    throw new ModelFileError(file, `truncated or corrupt zip archive (${reason(err)})`);
  }
  return new Map(Object.entries(entries));
}
