/** Short-lived messages ("Exported cartpole.dsx", "Delete failed: …") shown at the bottom right. */
export interface Toast {
  readonly id: number;
  readonly tone: 'info' | 'ok' | 'error';
  readonly text: string;
}

let next = 1;
export const toasts: Toast[] = $state([]);

export function toast(text: string, tone: Toast['tone'] = 'info', ms = tone === 'error' ? 9000 : 4000): void {
  const t = { id: next++, tone, text };
  toasts.push(t);
  setTimeout(() => dismiss(t.id), ms);
}

export function dismiss(id: number): void {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}
