/**
 * The soft losses' names, apart from their tfjs implementations (core/distill/losses.ts), so that schemas and the
 * renderer (through the API contract) can name them without bundling tfjs.
 */
export type SoftLoss = 'kl' | 'kl-two-sided' | 'mse' | 'nll';
export const SOFT_LOSSES: readonly SoftLoss[] = ['kl', 'kl-two-sided', 'mse', 'nll'];
/** The soft losses that read the temperature τ. */
export const TEMPERED_SOFT_LOSSES: readonly SoftLoss[] = ['kl', 'kl-two-sided'];
