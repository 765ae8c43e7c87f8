/** The route table: one row per view (part 2 adds compare, replays and knowledge bases here). */
import type { Component } from 'svelte';
import type { RouteDef } from './lib/router.ts';
import DesignerView from './views/DesignerView.svelte';
import ExperimentsView from './views/ExperimentsView.svelte';
import MonitorView from './views/MonitorView.svelte';

export type ViewProps = { params: Readonly<Record<string, string>>; query: URLSearchParams };

export const ROUTES: readonly RouteDef<Component<ViewProps>>[] = [
  { pattern: '/experiments', view: ExperimentsView, title: 'Experiments', nav: 'experiments' },
  { pattern: '/experiments/:id', view: MonitorView, title: 'Experiment', nav: 'experiments' },
  { pattern: '/design', view: DesignerView, title: 'New experiment', nav: 'design' },
];

export const DEFAULT_ROUTE = '#/experiments';
