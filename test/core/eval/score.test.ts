import { describe, expect, it } from 'vitest';
import { TEACHER_MARGIN, normalizedScore, requireTeacherMargin, teacherMargin } from '../../../core/eval/score.ts';
import { ConfigError } from '../../../core/training/errors.ts';

describe('normalised score', () => {
  it('maps the random policy to 0 and the teacher to 1, for positive and negative returns', () => {
    expect(normalizedScore(475, 500, 0)).toBe(0.95);
    expect(normalizedScore(22, 500, 22)).toBe(0);
    expect(normalizedScore(-100, -80, -500)).toBeCloseTo(400 / 420, 12);
  });

  it('throws rather than flip its sign or divide by zero when the teacher is not above random', () => {
    expect(() => normalizedScore(10, 20, 20)).toThrow(ConfigError);
    expect(() => normalizedScore(10, 15, 20)).toThrow(/not above the random policy's \(20\)/);
  });

  it(`requires the teacher to cover ${TEACHER_MARGIN * 100}% of the way from random to the env's threshold, and warns below the threshold`, () => {
    // CartPole: threshold 475, random 22 → margin 45.3.
    expect(teacherMargin('CartPole-v1', 60, 22).error).toMatch(/not better than a random policy \(22\.0\) by the required margin \(45\.3/);
    expect(() => requireTeacherMargin('CartPole-v1', 60, 22)).toThrow(ConfigError);
    const weak = teacherMargin('CartPole-v1', 300, 22);
    expect(weak.error).toBeNull();
    expect(weak.warning).toMatch(/below CartPole-v1's reward threshold 475/);
    expect(teacherMargin('CartPole-v1', 500, 22)).toMatchObject({ error: null, warning: null });
    // MountainCar: random −200, threshold −110 → margin 9; a teacher at −195 is noise.
    expect(teacherMargin('MountainCar-v0', -195, -200).error).not.toBeNull();
    expect(requireTeacherMargin('MountainCar-v0', -105, -200)).toBeNull();
  });
});
