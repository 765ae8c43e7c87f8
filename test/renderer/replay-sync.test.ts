import { describe, expect, it } from 'vitest';
import { advance, divergentSteps, lastFrame, nextMarker, qRange } from '../../renderer/lib/replay-sync.ts';

describe('replay lockstep', () => {
  it('marks the shared steps where the actions differ, and runs the timeline to the longer episode', () => {
    expect(divergentSteps([0, 1, 1, 0, 1], [0, 0, 1, 1])).toEqual([1, 3]);
    expect(lastFrame(5, 4)).toBe(5);
    expect(nextMarker([1, 3, 9], 3, 1)).toBe(9);
    expect(nextMarker([1, 3, 9], 3, -1)).toBe(1);
    expect(nextMarker([1, 3], 3, 1)).toBeNull();
  });

  it('advances playback by elapsed time × fps × speed, carrying fractions', () => {
    let carry = 0;
    let frames = 0;
    for (let i = 0; i < 60; i++) {
      const r = advance(carry, 1000 / 60, 50, 0.25);
      frames += r.frames;
      carry = r.carry;
    }
    expect(frames).toBe(12); // 1 s at 50 fps × 0.25 = 12.5 frames: 12 whole ones
    expect(carry).toBeCloseTo(0.5, 9);
    expect(qRange([1, 3], null, [2])).toEqual([0.8, 3]);
  });
});
