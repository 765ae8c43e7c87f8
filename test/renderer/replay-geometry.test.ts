/**
 * The replay drawing's geometry against the environments' own states: a wrong pole angle, link angle or car
 * position fails here (the pixel check in Chromium is in test/ui/part2.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createEnv } from '../../core/envs/index.ts';
import { acrobotAngles, acrobotScene, cartPoleScene, fitTransform, hillHeight, mountainCarScene, sceneOf, toCanvas } from '../../renderer/charts/replay-geometry.ts';

const close = (a: readonly number[], b: readonly number[], digits = 9) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], digits));

describe('replay geometry', () => {
  it('CartPole: the cart sits at x on the track, the pole leans by θ clockwise (θ > 0 to the right)', () => {
    const upright = cartPoleScene([0, 0, 0, 0]);
    close(upright.anchors.cart, [0, 0]);
    close(upright.anchors.poleTip, [0, 0.06 + 0.96]);
    const s = cartPoleScene([1.2, 0.3, 0.2, -1]);
    close(s.anchors.cart, [1.2, 0]);
    close(s.anchors.pivot, [1.2, 0.06]);
    close(s.anchors.poleTip, [1.2 + 0.96 * Math.sin(0.2), 0.06 + 0.96 * Math.cos(0.2)]);
    expect(s.anchors.poleTip[0]).toBeGreaterThan(1.2);
    const left = cartPoleScene([0, 0, -0.2, 0]);
    expect(left.anchors.poleTip[0]).toBeLessThan(0);
  });

  it('CartPole: a real episode, pushed right, moves the cart right and tips the pole left', () => {
    const env = createEnv('CartPole-v1');
    let obs = env.reset(3);
    for (let i = 0; i < 6; i++) obs = env.step(1).observation;
    const s = cartPoleScene(obs);
    expect(obs[0]).toBeGreaterThan(0);
    expect(obs[2]).toBeLessThan(0);
    close(s.anchors.cart, [obs[0], 0], 6);
    expect(s.anchors.poleTip[0]).toBeLessThan(s.anchors.pivot[0]);
  });

  it('Acrobot: angles come from (cos, sin) pairs; θ1 = 0 hangs straight down; the tip is the forward kinematics', () => {
    const down = acrobotScene([1, 0, 1, 0, 0, 0]);
    close(down.anchors.elbow, [0, -1]);
    close(down.anchors.tip, [0, -2]);
    const t1 = 2.5;
    const t2 = -1.1;
    expect(acrobotAngles([Math.cos(t1), Math.sin(t1), Math.cos(t2), Math.sin(t2)])).toEqual([expect.closeTo(t1, 12), expect.closeTo(t2, 12)]);
    const s = acrobotScene([Math.cos(t1), Math.sin(t1), Math.cos(t2), Math.sin(t2), 0, 0]);
    close(s.anchors.elbow, [Math.sin(t1), -Math.cos(t1)]);
    close(s.anchors.tip, [Math.sin(t1) + Math.sin(t1 + t2), -Math.cos(t1) - Math.cos(t1 + t2)]);
    // the env's own goal test (−cos θ1 − cos(θ1+θ2) > 1) is "the tip is above the goal line"
    expect(s.anchors.tip[1] > 1).toBe(-Math.cos(t1) - Math.cos(t1 + t2) > 1);
  });

  it('MountainCar: the car sits on the hill y = 0.45·sin(3x) + 0.55 at its position, tilted along the slope', () => {
    const s = mountainCarScene([-0.5, 0]);
    close(s.anchors.hillAtCar, [-0.5, Math.sin(-1.5) * 0.45 + 0.55]);
    close(s.anchors.carBottom, [-0.5, hillHeight(-0.5) + 0.03]);
    const right = mountainCarScene([0.45, 0]);
    expect(right.anchors.carCenter[0]).toBeLessThan(0.45); // uphill to the right: the body leans back
    expect(right.anchors.carCenter[1]).toBeGreaterThan(right.anchors.carBottom[1]);
    expect(sceneOf('Pendulum-v1', [0, 0])).toBeNull();
  });

  it('world → canvas keeps the aspect, centres the bounds and flips y', () => {
    const scene = cartPoleScene([0, 0, 0, 0]);
    const t = fitTransform(scene.bounds, 500, 300, 10);
    close(toCanvas(t, [0, (scene.bounds.yMin + scene.bounds.yMax) / 2]), [250, 150]);
    expect(toCanvas(t, [0, 1])[1]).toBeLessThan(toCanvas(t, [0, 0])[1]);
    const [l] = toCanvas(t, [scene.bounds.xMin, 0]);
    const [r] = toCanvas(t, [scene.bounds.xMax, 0]);
    expect(r - l).toBeCloseTo(480, 9);
  });
});
