/**
 * The route table: one row per view (part 2 adds compare, replays and knowledge bases here). The list is the
 * landing view and is in the first bundle; the others load on first visit, so the first paint does not wait
 * for the chart library or the designer.
 */
import type { Component } from 'svelte';
import type { RouteDef } from './lib/router.ts';
import ExperimentsView from './views/ExperimentsView.svelte';

export type ViewProps = { params: Readonly<Record<string, string>>; query: URLSearchParams };
export type ViewLoader = () => Promise<Component<ViewProps>>;

export const ROUTES: readonly RouteDef<ViewLoader>[] = [
  { pattern: '/experiments', view: async () => ExperimentsView, title: 'Experiments', nav: 'experiments' },
  { pattern: '/experiments/:id', view: async () => (await import('./views/MonitorView.svelte')).default, title: 'Experiment', nav: 'experiments' },
  { pattern: '/design', view: async () => (await import('./views/DesignerView.svelte')).default, title: 'New experiment', nav: 'design' },
];

export const DEFAULT_ROUTE = '#/experiments';
