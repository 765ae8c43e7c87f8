import { describe, expect, it } from 'vitest';
import { AlphaSchedule } from '../../../core/distill/alpha-schedule.ts';
import { normalizedScore } from '../../../core/eval/score.ts';

describe('α schedules', () => {
  it('constant', () => {
    const s = new AlphaSchedule({ kind: 'constant', alpha: 0.3, alphaEnd: 0, totalSteps: 100 });
    expect([s.valueAt(0), s.valueAt(100)]).toEqual([0.3, 0.3]);
  });
  it('linear from alpha to alphaEnd over the budget', () => {
    const s = new AlphaSchedule({ kind: 'linear', alpha: 0, alphaEnd: 1, totalSteps: 200 });
    expect(s.valueAt(0)).toBe(0);
    expect(s.valueAt(50)).toBeCloseTo(0.25, 12);
    expect(s.valueAt(200)).toBe(1);
    expect(s.valueAt(400)).toBe(1);
  });
  it('adaptive: soft weight max(1 − score, 0) with returns normalised by a random policy', () => {
    const s = new AlphaSchedule({ kind: 'adaptive', alpha: 0, alphaEnd: 0, totalSteps: 100, teacherReturn: 500, randomReturn: 20 });
    expect(s.valueAt(0)).toBe(0); // no evaluation yet: pure distillation
    s.observeStudentReturn(260); // score 0.5
    expect(s.valueAt(10)).toBeCloseTo(0.5, 12);
    s.observeStudentReturn(500); // matches the teacher: soft weight 0
    expect(s.valueAt(10)).toBe(1);
    s.observeStudentReturn(600);
    expect(s.valueAt(10)).toBe(1);
    // Negative returns (Acrobot): random −500, teacher −80, student −290 → score 0.5.
    const a = new AlphaSchedule({ kind: 'adaptive', alpha: 0, alphaEnd: 0, totalSteps: 1, teacherReturn: -80, randomReturn: -500 });
    a.observeStudentReturn(-290);
    expect(a.valueAt(0)).toBeCloseTo(0.5, 12);
  });
  it('adaptive needs the reference returns', () => {
    expect(() => new AlphaSchedule({ kind: 'adaptive', alpha: 0, alphaEnd: 0, totalSteps: 1 })).toThrow(/teacher's and a random policy's/);
  });
  it('normalizedScore', () => {
    expect(normalizedScore(475, 500, 0)).toBe(0.95);
    expect(normalizedScore(-100, -80, -500)).toBeCloseTo(400 / 420, 12);
  });
});
