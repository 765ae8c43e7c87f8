/**
 * What a replay frame shows, as geometry in world units (y up): a pure function of the stored observation,
 * unit-tested, so a wrong pole angle or car position fails a test before anything is drawn. The proportions
 * follow Gymnasium's classic-control renderers (facts, not code):
 * - CartPole-v1: 4.8 world units across (±2.4, the termination bounds); a 0.4 × 0.24 cart centred on the
 *   track; the pole (1.0 long, 0.08 wide: twice the half-length 0.5) pivots 0.06 above the cart's centre and
 *   leans by θ clockwise from vertical (θ > 0 leans right, towards +x).
 * - Acrobot-v1: the observation is (cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2), so θ = atan2(sin, cos); two
 *   links of length 1 hang from the origin (θ1 = 0 points straight down; the second link's angle is θ1 + θ2),
 *   and the goal line is at height 1 (the tip must rise above it: −cos θ1 − cos(θ1 + θ2) > 1).
 * - MountainCar-v0: the hill is y = 0.45·sin(3x) + 0.55 over x ∈ [−1.2, 0.6]; the car (0.12 × 0.06) sits
 *   0.03 above the hill at its position, tilted along the slope; the flag is at the goal, x = 0.5.
 */

export type Point = readonly [number, number];

/** Colour roles of the shapes (the drawing maps them to colours; tests read pixels by role). */
export type ShapeRole = 'track' | 'cart' | 'pole' | 'axle' | 'link' | 'joint' | 'goal' | 'hill' | 'car' | 'wheel' | 'flag' | 'bound';

export type Shape =
  | { readonly kind: 'polygon'; readonly role: ShapeRole; readonly points: readonly Point[] }
  | { readonly kind: 'circle'; readonly role: ShapeRole; readonly center: Point; readonly r: number }
  | { readonly kind: 'polyline'; readonly role: ShapeRole; readonly points: readonly Point[]; readonly dashed?: boolean };

export interface Bounds {
  readonly xMin: number;
  readonly xMax: number;
  readonly yMin: number;
  readonly yMax: number;
}

export interface Scene {
  readonly env: string;
  readonly bounds: Bounds;
  /** In drawing order. */
  readonly shapes: readonly Shape[];
  /** Named points of the frame (world units), for tests and readouts. */
  readonly anchors: Readonly<Record<string, Point>>;
}

export const SUPPORTED_ENVS = ['CartPole-v1', 'Acrobot-v1', 'MountainCar-v0'] as const;

/** Gymnasium's render_fps per env: the replay's 1× speed. */
export const ENV_FPS: Readonly<Record<string, number>> = { 'CartPole-v1': 50, 'Acrobot-v1': 15, 'MountainCar-v0': 30 };

/** A rectangle from `a` to `b` of the given width (a thick segment). */
function bar(a: Point, b: Point, width: number): Point[] {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = Math.hypot(dx, dy) || 1;
  const nx = (-dy / len) * (width / 2);
  const ny = (dx / len) * (width / 2);
  return [
    [a[0] + nx, a[1] + ny],
    [b[0] + nx, b[1] + ny],
    [b[0] - nx, b[1] - ny],
    [a[0] - nx, a[1] - ny],
  ];
}

const rotate = (p: Point, angle: number): Point => [p[0] * Math.cos(angle) - p[1] * Math.sin(angle), p[0] * Math.sin(angle) + p[1] * Math.cos(angle)];
const add = (a: Point, b: Point): Point => [a[0] + b[0], a[1] + b[1]];

export const CARTPOLE = { halfWidth: 2.4, cartW: 0.4, cartH: 0.24, axle: 0.06, poleLength: 1.0, poleWidth: 0.08 } as const;

export function cartPoleScene(state: ArrayLike<number>): Scene {
  const x = state[0];
  const theta = state[2];
  const c = CARTPOLE;
  const pivot: Point = [x, c.axle];
  const dir: Point = [Math.sin(theta), Math.cos(theta)];
  const base: Point = [pivot[0] - dir[0] * (c.poleWidth / 2), pivot[1] - dir[1] * (c.poleWidth / 2)];
  const tip: Point = [pivot[0] + dir[0] * (c.poleLength - c.poleWidth / 2), pivot[1] + dir[1] * (c.poleLength - c.poleWidth / 2)];
  const bounds = { xMin: -c.halfWidth, xMax: c.halfWidth, yMin: -0.45, yMax: 1.25 };
  return {
    env: 'CartPole-v1',
    bounds,
    shapes: [
      { kind: 'polyline', role: 'track', points: [[bounds.xMin, 0], [bounds.xMax, 0]] },
      { kind: 'polyline', role: 'bound', points: [[-c.halfWidth, -0.2], [-c.halfWidth, 0.2]], dashed: true },
      { kind: 'polyline', role: 'bound', points: [[c.halfWidth, -0.2], [c.halfWidth, 0.2]], dashed: true },
      { kind: 'polygon', role: 'cart', points: [[x - c.cartW / 2, -c.cartH / 2], [x - c.cartW / 2, c.cartH / 2], [x + c.cartW / 2, c.cartH / 2], [x + c.cartW / 2, -c.cartH / 2]] },
      { kind: 'polygon', role: 'pole', points: bar(base, tip, c.poleWidth) },
      { kind: 'circle', role: 'axle', center: pivot, r: c.poleWidth / 2 },
    ],
    anchors: { cart: [x, 0], pivot, poleTip: tip, poleMid: [pivot[0] + dir[0] * c.poleLength * 0.5, pivot[1] + dir[1] * c.poleLength * 0.5] },
  };
}

export const ACROBOT = { link1: 1, link2: 1, width: 0.2, bound: 2.2, goal: 1 } as const;

/** θ1, θ2 from the observation (cos θ1, sin θ1, cos θ2, sin θ2, …). */
export function acrobotAngles(obs: ArrayLike<number>): [number, number] {
  return [Math.atan2(obs[1], obs[0]), Math.atan2(obs[3], obs[2])];
}

export function acrobotScene(obs: ArrayLike<number>): Scene {
  const [t1, t2] = acrobotAngles(obs);
  const a = ACROBOT;
  const p0: Point = [0, 0];
  const p1: Point = [a.link1 * Math.sin(t1), -a.link1 * Math.cos(t1)];
  const p2: Point = [p1[0] + a.link2 * Math.sin(t1 + t2), p1[1] - a.link2 * Math.cos(t1 + t2)];
  const bounds = { xMin: -a.bound, xMax: a.bound, yMin: -a.bound, yMax: a.bound };
  return {
    env: 'Acrobot-v1',
    bounds,
    shapes: [
      { kind: 'polyline', role: 'goal', points: [[-a.bound, a.goal], [a.bound, a.goal]] },
      { kind: 'polygon', role: 'link', points: bar(p0, p1, a.width) },
      { kind: 'polygon', role: 'link', points: bar(p1, p2, a.width) },
      { kind: 'circle', role: 'joint', center: p0, r: a.width / 2 },
      { kind: 'circle', role: 'joint', center: p1, r: a.width / 2 },
    ],
    anchors: { shoulder: p0, elbow: p1, tip: p2, link1Mid: [p1[0] / 2, p1[1] / 2], link2Mid: [(p1[0] + p2[0]) / 2, (p1[1] + p2[1]) / 2] },
  };
}

export const MOUNTAIN_CAR = { min: -1.2, max: 0.6, goal: 0.5, carW: 0.12, carH: 0.06, clearance: 0.03, wheelR: 0.024, flagH: 0.15 } as const;

export const hillHeight = (x: number): number => Math.sin(3 * x) * 0.45 + 0.55;
/** The slope angle of the hill at x (radians). */
export const hillAngle = (x: number): number => Math.atan(1.35 * Math.cos(3 * x));

export function mountainCarScene(obs: ArrayLike<number>): Scene {
  const m = MOUNTAIN_CAR;
  const pos = obs[0];
  const angle = hillAngle(pos);
  const hill: Point[] = Array.from({ length: 121 }, (_, i) => {
    const x = m.min + ((m.max - m.min) * i) / 120;
    return [x, hillHeight(x)];
  });
  const bottom: Point = [pos, hillHeight(pos) + m.clearance];
  const corner = (p: Point): Point => add(bottom, rotate(p, angle));
  const body = ([[-m.carW / 2, 0], [-m.carW / 2, m.carH], [m.carW / 2, m.carH], [m.carW / 2, 0]] as Point[]).map(corner);
  const gx = m.goal;
  const gy = hillHeight(gx);
  return {
    env: 'MountainCar-v0',
    bounds: { xMin: m.min, xMax: m.max, yMin: 0, yMax: 1.2 },
    shapes: [
      { kind: 'polyline', role: 'hill', points: hill },
      { kind: 'polyline', role: 'flag', points: [[gx, gy], [gx, gy + m.flagH]] },
      { kind: 'polygon', role: 'flag', points: [[gx, gy + m.flagH], [gx, gy + m.flagH - 0.03], [gx + 0.075, gy + m.flagH - 0.015]] },
      { kind: 'polygon', role: 'car', points: body },
      { kind: 'circle', role: 'wheel', center: corner([m.carW / 4, 0]), r: m.wheelR },
      { kind: 'circle', role: 'wheel', center: corner([-m.carW / 4, 0]), r: m.wheelR },
    ],
    anchors: { carBottom: bottom, carCenter: corner([0, m.carH / 2]), hillAtCar: [pos, hillHeight(pos)], goal: [gx, gy] },
  };
}

/** The scene of a stored observation; null for an env the viewer cannot draw. */
export function sceneOf(env: string, state: ArrayLike<number>): Scene | null {
  switch (env) {
    case 'CartPole-v1':
      return cartPoleScene(state);
    case 'Acrobot-v1':
      return acrobotScene(state);
    case 'MountainCar-v0':
      return mountainCarScene(state);
    default:
      return null;
  }
}

export interface Transform {
  readonly scale: number;
  readonly ox: number;
  readonly oy: number;
}

/** World → canvas: the bounds fitted into width × height (CSS pixels) with `pad` around, aspect kept, centred. */
export function fitTransform(bounds: Bounds, width: number, height: number, pad = 12): Transform {
  const scale = Math.min((width - 2 * pad) / (bounds.xMax - bounds.xMin), (height - 2 * pad) / (bounds.yMax - bounds.yMin));
  const ox = width / 2 - ((bounds.xMin + bounds.xMax) / 2) * scale;
  const oy = height / 2 + ((bounds.yMin + bounds.yMax) / 2) * scale;
  return { scale, ox, oy };
}

export const toCanvas = (t: Transform, p: Point): Point => [t.ox + p[0] * t.scale, t.oy - p[1] * t.scale];

/** Fill colours per role (the pixel test reads them back). */
export const ROLE_COLORS: Readonly<Record<ShapeRole, string>> = {
  track: '#1a1f27',
  bound: '#c23030',
  cart: '#1a1f27',
  pole: '#ca9865',
  axle: '#8184cb',
  link: '#00a8a8',
  joint: '#b8b800',
  goal: '#1a1f27',
  hill: '#1a1f27',
  car: '#1a1f27',
  wheel: '#808080',
  flag: '#c8a800',
};

/** Draws a scene (shapes in order) onto a 2D context already scaled to CSS pixels. */
export function drawScene(ctx: CanvasRenderingContext2D, scene: Scene, t: Transform): void {
  for (const s of scene.shapes) {
    const color = ROLE_COLORS[s.role];
    if (s.kind === 'circle') {
      const [cx, cy] = toCanvas(t, s.center);
      ctx.beginPath();
      ctx.arc(cx, cy, Math.max(1.5, s.r * t.scale), 0, Math.PI * 2);
      ctx.fillStyle = color;
      ctx.fill();
      continue;
    }
    ctx.beginPath();
    s.points.forEach((p, i) => {
      const [px, py] = toCanvas(t, p);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    if (s.kind === 'polygon') {
      ctx.closePath();
      ctx.fillStyle = color;
      ctx.fill();
    } else {
      ctx.setLineDash(s.dashed ? [4, 3] : []);
      ctx.strokeStyle = color;
      ctx.lineWidth = s.role === 'hill' ? 2 : 1.5;
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }
}
