import { describe, expect, it } from 'vitest';
import { StudentSettingsSchema, effectiveStudentConfig, inapplicableFields, parseStudentConfig, resolveStudentConfig, studentDefaults } from '../../../core/distill/config.ts';
import { ConfigError } from '../../../core/training/errors.ts';

function issuesOf(settings: unknown): { path: string; message: string }[] {
  try {
    resolveStudentConfig(settings, 'CartPole-v1', 1);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).issues];
  }
  throw new Error('expected the settings to be rejected');
}

describe('student methods and modes', () => {
  it('fills the defaults of the method and mode; the method defaults from the mode and the mode from the method', () => {
    expect(resolveStudentConfig({ hiddenSizes: [8] }, 'CartPole-v1', 1)).toMatchObject({ method: 'supervised', mode: 'offline', steps: 10_000, targetUpdateInterval: 500 });
    expect(resolveStudentConfig({ hiddenSizes: [8], mode: 'online' }, 'CartPole-v1', 1)).toMatchObject({ method: 'retrieval', mode: 'online', radius: 'auto', steps: 30_000 });
    expect(resolveStudentConfig({ hiddenSizes: [8], method: 'teacher' }, 'CartPole-v1', 1)).toMatchObject({ method: 'teacher', mode: 'online' });
    expect(resolveStudentConfig({ hiddenSizes: [8], method: 'teacher', mode: 'offline' }, 'CartPole-v1', 1)).toMatchObject({ method: 'teacher', mode: 'offline' });
  });

  it("defaults the soft loss to Rusu's kl without a hard loss and to kl-two-sided with one", () => {
    expect(resolveStudentConfig({ hiddenSizes: [8] }, 'CartPole-v1', 1).softLoss).toBe('kl');
    expect(resolveStudentConfig({ hiddenSizes: [8], alpha: 0.5 }, 'CartPole-v1', 1).softLoss).toBe('kl-two-sided');
    expect(resolveStudentConfig({ hiddenSizes: [8], alphaSchedule: 'linear', alphaEnd: 0.5 }, 'CartPole-v1', 1).softLoss).toBe('kl-two-sided');
    expect(resolveStudentConfig({ hiddenSizes: [8], alpha: 0.5, softLoss: 'kl' }, 'CartPole-v1', 1).softLoss).toBe('kl');
  });

  it('refuses the combinations that do not exist, naming the field', () => {
    expect(issuesOf({ hiddenSizes: [8], method: 'supervised', mode: 'online' })).toEqual([expect.objectContaining({ path: 'mode', message: expect.stringMatching(/supervised distillation trains on the knowledge base's rows/) })]);
    expect(issuesOf({ hiddenSizes: [8], method: 'retrieval', mode: 'offline' })).toEqual([expect.objectContaining({ path: 'mode', message: expect.stringMatching(/offline retrieval is supervised distillation/) })]);
    expect(issuesOf({ hiddenSizes: [8], mode: 'online', alpha: 0.5, hardLoss: 'mc' }).map((i) => i.path)).toEqual(['hardLoss']);
    expect(issuesOf({ hiddenSizes: [8], alphaSchedule: 'adaptive', evalEvery: 0 }).map((i) => i.path)).toEqual(['evalEvery']);
  });

  it.each([
    [{ method: 'supervised', k: 4 }, 'k', /only retrieval reads k \(method supervised takes its targets from the KB rows' stored Q\)/],
    [{ method: 'teacher', radius: 1 }, 'radius', /only retrieval reads radius/],
    [{ mode: 'offline', numEnvs: 8 }, 'numEnvs', /offline, the student trains on KB rows/],
    [{ mode: 'offline', explorationFraction: 0.5 }, 'explorationFraction', /offline/],
    [{ softLoss: 'mse', tau: 0.1 }, 'tau', /only kl and kl-two-sided read τ \(softLoss is mse\)/],
    [{ softLoss: 'nll', tau: 0.1 }, 'tau', /only kl and kl-two-sided read τ/],
    [{ softLoss: 'kl', softActions: 'taken' }, 'softActions', /only the mse soft loss reads softActions/],
    [{ alpha: 0, gamma: 0.9 }, 'gamma', /α is 0 throughout: there is no hard loss/],
    [{ alpha: 0, hardError: 'mse' }, 'hardError', /α is 0 throughout/],
    [{ alpha: 1, softLoss: 'kl' }, 'softLoss', /α is 1 throughout: there is no soft loss/],
    [{ alpha: 0.5, hardLoss: 'mc', targetUpdateInterval: 10 }, 'targetUpdateInterval', /only the td hard loss uses a target network/],
    [{ alphaEnd: 0.5 }, 'alphaEnd', /only the linear schedule reads alphaEnd/],
    [{ alphaSchedule: 'adaptive', alpha: 0.2 }, 'alpha', /the adaptive schedule sets α/],
    [{ evalEvery: 0, evalEpisodes: 5 }, 'evalEpisodes', /evalEvery is 0/],
  ] as const)('a field without effect is an error naming it: %o', (fields, path, message) => {
    const found = issuesOf({ hiddenSizes: [8], ...fields });
    expect(found.map((i) => i.path)).toContain(path);
    expect(found.find((i) => i.path === path)!.message).toMatch(/^has no effect here: /);
    expect(found.find((i) => i.path === path)!.message).toMatch(message);
  });

  it('the same fields are accepted where they have an effect', () => {
    expect(() => resolveStudentConfig({ hiddenSizes: [8], mode: 'online', k: 4, radius: 0.5, numEnvs: 8, alpha: 0.5, gamma: 0.9, hardError: 'mse' }, 'CartPole-v1', 1)).not.toThrow();
    expect(() => resolveStudentConfig({ hiddenSizes: [8], alphaSchedule: 'linear', alpha: 0, alphaEnd: 0.5, softLoss: 'kl-two-sided', tau: 0.1, gamma: 0.9 }, 'CartPole-v1', 1)).not.toThrow();
    expect(() => resolveStudentConfig({ hiddenSizes: [8], softLoss: 'mse', softActions: 'taken' }, 'CartPole-v1', 1)).not.toThrow();
  });

  it('the zod schema carries the same rules (spec, CLI and designer get them)', () => {
    const r = StudentSettingsSchema.safeParse({ hiddenSizes: [8], k: 3 });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['k']);
  });

  it('a complete config validates as such; effectiveStudentConfig drops what has no effect', () => {
    const full = { ...studentDefaults('supervised', 'offline'), env: 'CartPole-v1' as const, seed: 1 };
    expect(() => parseStudentConfig(full)).not.toThrow();
    expect(() => parseStudentConfig({ ...full, radius: -1 })).toThrow(/radius/);
    const shown = effectiveStudentConfig(parseStudentConfig(full));
    expect(shown).toHaveProperty('softLoss', 'kl');
    expect(shown).not.toHaveProperty('k');
    expect(shown).not.toHaveProperty('numEnvs');
    expect(shown).not.toHaveProperty('gamma');
    expect(inapplicableFields({ method: 'retrieval', mode: 'online', k: 2 })).toEqual([]);
  });
});
