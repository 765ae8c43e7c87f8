import { describe, expect, it } from 'vitest';
import { href, idParam, matchRoute } from '../../renderer/lib/router.ts';

const routes = [
  { pattern: '/experiments', view: 'list', title: '' },
  { pattern: '/experiments/:id', view: 'monitor', title: '' },
  { pattern: '/design', view: 'design', title: '' },
];

describe('hash router', () => {
  it('matches paths, captures parameters and reads the query', () => {
    expect(matchRoute('#/experiments', routes)?.def.view).toBe('list');
    const m = matchRoute('#/experiments/12?tab=json', routes)!;
    expect(m.def.view).toBe('monitor');
    expect(m.params).toEqual({ id: '12' });
    expect(m.query.get('tab')).toBe('json');
    expect(matchRoute('#/design/', routes)?.def.view).toBe('design');
    expect(matchRoute('#/nope', routes)).toBeNull();
    expect(matchRoute('#/experiments/%E0%A4%A', routes)).toBeNull();
  });

  it('builds links and reads ids strictly', () => {
    expect(href('/experiments/:id', { id: 3 })).toBe('#/experiments/3');
    expect(href('/design', {}, { from: 4 })).toBe('#/design?from=4');
    expect(idParam('7')).toBe(7);
    expect(idParam('07')).toBeNull();
    expect(idParam('x')).toBeNull();
    expect(idParam(undefined)).toBeNull();
  });
});

import { rowWindow } from '../../renderer/lib/virtual.ts';

describe('rowWindow', () => {
  it('renders the rows in view plus overscan, with spacers summing to the full height', () => {
    const w = rowWindow(1000, 36, 3600, 720, 5);
    expect(w.start).toBe(95);
    expect(w.end).toBe(125);
    expect(w.padTop + (w.end - w.start) * 36 + w.padBottom).toBe(36_000);
    expect(rowWindow(3, 36, 0, 720)).toEqual({ start: 0, end: 3, padTop: 0, padBottom: 0 });
    expect(rowWindow(0, 36, 0, 720).end).toBe(0);
    expect(rowWindow(1000, 36, 1e9, 720, 5).end).toBe(1000);
  });
});
