import { describe, expect, it } from 'vitest';
import { parseDqnConfig } from '../../../core/dqn/config.ts';
import { PRESET_NAMES, presetConfig } from '../../../core/dqn/presets.ts';
import { ENV_IDS } from '../../../core/envs/index.ts';

const valid = { ...presetConfig('CartPole-v1', 'default'), env: 'CartPole-v1', seed: 1 };

describe('DQN config', () => {
  it('every preset of every env is valid', () => {
    for (const env of ENV_IDS) for (const p of PRESET_NAMES) expect(() => parseDqnConfig({ ...presetConfig(env, p), env, seed: 0 })).not.toThrow();
  });

  it('names the offending field', () => {
    expect(() => parseDqnConfig({ ...valid, gamma: 1.5 })).toThrow(/gamma: /);
    expect(() => parseDqnConfig({ ...valid, hiddenSizes: [64, 0] })).toThrow(/hiddenSizes\.1: /);
    expect(() => parseDqnConfig({ ...valid, env: 'Pong-v5' })).toThrow(/env: /);
    expect(() => parseDqnConfig({ ...valid, gradientSteps: 0 })).toThrow(/gradientSteps: must be -1 or a positive integer/);
    expect(() => parseDqnConfig({ ...valid, learningRte: 1 })).toThrow(/learningRte/);
    expect(() => parseDqnConfig({ ...valid, batchSize: 10, bufferSize: 5 })).toThrow(/batchSize: 10 exceeds bufferSize \(5\)/);
  });

  it('presets carry their documented sources', () => {
    expect(presetConfig('CartPole-v1', 'zoo')).toMatchObject({ learningRate: 2.3e-3, trainFreq: 256, gradientSteps: 128, hiddenSizes: [256, 256], loss: 'huber', maxGradNorm: 10 });
    expect(presetConfig('CartPole-v1', 'cleanrl')).toMatchObject({ learningRate: 2.5e-4, totalSteps: 500_000, hiddenSizes: [120, 84], loss: 'mse', maxGradNorm: 0 });
  });
});
