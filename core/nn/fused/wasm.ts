/**
 * The fused engine's WebAssembly module (core/nn/kernels/mlp.c) and the memory it works in. One instance per
 * thread, created on first use. Tensors live in the module's linear memory as `Block`s handed out by a small
 * first-fit allocator; JavaScript reads and writes them through Float32Array views. Growing the memory
 * detaches every view, so a Block re-creates its view when the buffer changed.
 */
import { KERNELS_WASM_BASE64 } from '../kernels/mlp-wasm.ts';

/** Kernel flags (mlp.c). */
export const ACCUMULATE = 1;
export const RELU = 2;
export const MASK = 4;

export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  gemm_nn(M: number, N: number, K: number, A: number, B: number, bias: number, C: number, mask: number, flags: number): void;
  gemm_tn(M: number, N: number, K: number, A: number, B: number, bias: number, C: number, mask: number, flags: number): void;
  gemm_nt(M: number, N: number, K: number, A: number, B: number, bias: number, C: number, mask: number, flags: number): void;
  colsum(M: number, N: number, X: number, out: number, flags: number): void;
  transpose(M: number, N: number, B: number, Bt: number): void;
  sumsq(x: number, n: number): number;
  adam(p: number, g: number, m: number, v: number, n: number, scale: number, lr: number, beta1: number, beta2: number, ibc1: number, ibc2: number, eps: number): void;
  polyak(dst: number, src: number, n: number, tau: number): void;
}

const PAGE = 65536;
const ALIGN = 16;

/** A float32 array in the module's memory: `ptr` (bytes) is what kernels take. */
export class Block {
  private cached: Float32Array;
  private buffer: ArrayBuffer;
  constructor(
    readonly heap: WasmHeap,
    readonly ptr: number,
    readonly length: number,
  ) {
    this.buffer = heap.memory.buffer;
    this.cached = new Float32Array(this.buffer, ptr, length);
  }

  /** The live view (re-created after the memory grew). */
  get view(): Float32Array {
    const b = this.heap.memory.buffer;
    if (b !== this.buffer) {
      this.buffer = b;
      this.cached = new Float32Array(b, this.ptr, this.length);
    }
    return this.cached;
  }

  /** Byte address of element `i`. */
  at(i: number): number {
    return this.ptr + 4 * i;
  }

  /** Returns the range to the heap; a second call does nothing (even if the range was handed out again). */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.heap.free(this);
  }

  private freed = false;
}

export class WasmHeap {
  readonly k: KernelExports;
  readonly memory: WebAssembly.Memory;
  /** Free ranges [start, end) in bytes, sorted and coalesced. */
  private readonly freeList: [number, number][] = [];
  private top: number;
  private live = new Map<number, number>();

  constructor(bytes: Uint8Array<ArrayBuffer>) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    this.k = instance.exports as unknown as KernelExports;
    this.memory = this.k.memory;
    this.top = align(this.k.__heap_base.value as number);
  }

  /** A zeroed block of `length` floats. */
  alloc(length: number): Block {
    if (!Number.isInteger(length) || length < 0) throw new Error(`fused engine: cannot allocate ${length} floats`);
    const bytes = align(Math.max(length, 1) * 4);
    let ptr = -1;
    for (let i = 0; i < this.freeList.length; i++) {
      const [start, end] = this.freeList[i];
      if (end - start >= bytes) {
        ptr = start;
        if (end - start === bytes) this.freeList.splice(i, 1);
        else this.freeList[i][0] = start + bytes;
        break;
      }
    }
    if (ptr < 0) {
      ptr = this.top;
      this.top += bytes;
      const need = this.top - this.memory.buffer.byteLength;
      if (need > 0) this.memory.grow(Math.ceil(need / PAGE) + Math.ceil(this.memory.buffer.byteLength / PAGE / 4));
    }
    this.live.set(ptr, bytes);
    new Uint8Array(this.memory.buffer, ptr, bytes).fill(0);
    return new Block(this, ptr, length);
  }

  /** Use Block.free (it guards against freeing twice). */
  free(block: Block): void {
    const bytes = this.live.get(block.ptr);
    if (bytes === undefined) return;
    this.live.delete(block.ptr);
    const start = block.ptr;
    const end = start + bytes;
    // Insert sorted, then merge with neighbours; a range that reaches the top goes back to it.
    let i = 0;
    while (i < this.freeList.length && this.freeList[i][0] < start) i++;
    this.freeList.splice(i, 0, [start, end]);
    if (i + 1 < this.freeList.length && this.freeList[i + 1][0] === end) {
      this.freeList[i][1] = this.freeList[i + 1][1];
      this.freeList.splice(i + 1, 1);
    }
    if (i > 0 && this.freeList[i - 1][1] === start) {
      this.freeList[i - 1][1] = this.freeList[i][1];
      this.freeList.splice(i, 1);
      i--;
    }
    if (this.freeList[i][1] === this.top) {
      this.top = this.freeList[i][0];
      this.freeList.splice(i, 1);
    }
  }

  /** Bytes in live blocks (tests: disposal leaves nothing behind). */
  get liveBytes(): number {
    let n = 0;
    for (const b of this.live.values()) n += b;
    return n;
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

let heap: WasmHeap | null = null;

/** The thread's kernel module and heap (compiled and instantiated on first use). */
export function wasmHeap(): WasmHeap {
  if (!heap) heap = new WasmHeap(new Uint8Array(Buffer.from(KERNELS_WASM_BASE64, 'base64')));
  return heap;
}
