/** IEEE 754 binary16 and bfloat16 bit patterns to numbers (tensors saved in half precision). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

const bf16Scratch = new Uint32Array(1);
const bf16View = new Float32Array(bf16Scratch.buffer);

/** bfloat16 is the upper half of a float32. */
export function bfloat16ToFloat(h: number): number {
  bf16Scratch[0] = h << 16;
  return bf16View[0];
}
