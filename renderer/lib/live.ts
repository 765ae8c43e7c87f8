/**
 * Subscriptions a view holds while it is on screen: events from the StudioApi and reconnects of the event
 * stream (after which a view reloads, since events may have been missed). `dispose` drops them all.
 */
import type { EventMap, EventName } from '../../electron/api/contract.ts';
import { client } from './api/client.ts';

export class Subscriptions {
  private offs: (() => void)[] = [];

  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): this {
    this.offs.push(client().api.on(event, listener));
    return this;
  }

  /** Called when the event stream opens again after a drop. */
  onReconnect(listener: () => void): this {
    let opens = client().connection().opens;
    this.offs.push(
      client().onConnection((s) => {
        if (s.status === 'open' && s.opens > opens && opens > 0) listener();
        opens = s.opens;
      }),
    );
    return this;
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
  }
}

/** Calls `fn` at most once per `ms`, trailing (bursts of events become one reload). */
export function throttle(fn: () => void, ms: number): (() => void) & { cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
  return Object.assign(run, {
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  });
}
