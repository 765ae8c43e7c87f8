/**
 * The route table: one row per view (experiments, the designer, compare, replays, knowledge bases). The list is the
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
  { pattern: '/compare', view: async () => (await import('./views/CompareView.svelte')).default, title: 'Compare', nav: 'compare' },
  { pattern: '/replay/:runId', view: async () => (await import('./views/ReplayView.svelte')).default, title: 'Replay', nav: 'compare' },
  { pattern: '/kb', view: async () => (await import('./views/KnowledgeBasesView.svelte')).default, title: 'Knowledge bases', nav: 'kb' },
  { pattern: '/kb/:id', view: async () => (await import('./views/KnowledgeBaseView.svelte')).default, title: 'Knowledge base', nav: 'kb' },
];

export const DEFAULT_ROUTE = '#/experiments';
