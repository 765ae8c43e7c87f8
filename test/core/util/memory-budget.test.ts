import { describe, expect, it } from 'vitest';
import { checkTrainingMemory, formatBytes, trainingMemory } from '../../../core/util/memory-budget.ts';

describe('training memory budget', () => {
  it('counts parameters like paramShapes and adds the copies, activations and the buffer', () => {
    const e = trainingMemory({ inputSize: 4, hiddenSizes: [64, 64], outputSize: 2 }, { batchSize: 64, bufferSize: 100_000 });
    expect(e.params).toBe(4 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2);
    expect(e.bytes).toBe(e.params * 4 * 6 + 2 * 2 * 64 * (4 + 64 + 64 + 2) * 4 + 100_000 * 11 * 4);
  });

  it('refuses a 100000-100000 student with the amount it needs, before any array is made', () => {
    expect(() => checkTrainingMemory('--student', { inputSize: 4, hiddenSizes: [100_000, 100_000], outputSize: 2 }, { batchSize: 64 }, 'wasm')).toThrow(
      /--student: a 4-100000-100000-2 network has a weight matrix of 1\.00e\+10 values, more than one array can hold .* about 224 GiB/,
    );
    expect(() => checkTrainingMemory('students[0].hiddenSizes', { inputSize: 4, hiddenSizes: [20_000, 20_000], outputSize: 2 }, { batchSize: 64 }, 'wasm', 24 * 1024 ** 3)).toThrow(
      /students\[0\]\.hiddenSizes: training a 4-20000-20000-2 network \(400,160,002 parameters\) needs about 9\.0 GiB, more than the 4\.0 GiB available/,
    );
    expect(checkTrainingMemory('ok', { inputSize: 4, hiddenSizes: [256, 256], outputSize: 2 }, { batchSize: 64, bufferSize: 1e6 }, 'wasm').params).toBe(67_586);
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });
});
