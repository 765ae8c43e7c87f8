/** Episode-level views of a knowledge base: train/held-out split and Monte-Carlo returns. */
import type { KnowledgeBase } from './knowledge-base.ts';

/** Splits KB rows by episode: the last `fraction` of episodes (at least one when fraction > 0) are held out. */
export function splitKnowledgeBase(kb: KnowledgeBase, fraction: number): { train: Int32Array; heldOut: Int32Array } {
  if (kb.size === 0) return { train: new Int32Array(0), heldOut: new Int32Array(0) };
  const lastEpisode = kb.episode[kb.size - 1];
  const episodes = lastEpisode + 1;
  const heldEpisodes = fraction > 0 && episodes > 1 ? Math.max(1, Math.round(episodes * fraction)) : 0;
  const firstHeld = episodes - heldEpisodes;
  const train: number[] = [];
  const held: number[] = [];
  for (let i = 0; i < kb.size; i++) (kb.episode[i] >= firstHeld ? held : train).push(i);
  return { train: Int32Array.from(train), heldOut: Int32Array.from(held) };
}

/**
 * Return-to-go per KB row: G_t = r_t + γ·G_{t+1} within an episode. An episode cut by truncation (time limit
 * or extraction budget) is bootstrapped with the teacher's Q_T(s, a) of its last row's state and action.
 */
export function monteCarloReturns(kb: KnowledgeBase, gamma: number): Float32Array {
  const out = new Float32Array(kb.size);
  const a = kb.meta.actionCount;
  let g = 0;
  for (let i = kb.size - 1; i >= 0; i--) {
    if (kb.episodeEnd[i]) {
      // A truncated end is bootstrapped with the teacher's estimate of the action taken, Q_T(s, a) ≈ r + γV(s').
      g = kb.terminated[i] ? kb.rewards[i] : kb.teacherQ[i * a + kb.actions[i]];
    } else g = kb.rewards[i] + gamma * g;
    out[i] = g;
  }
  return out;
}
