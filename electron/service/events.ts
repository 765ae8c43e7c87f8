/**
 * The service's event bus: typed `on(event, listener)` over the contract's EventMap. A listener that throws
 * is reported and never stops the others (an adapter's broken socket must not break training bookkeeping).
 */
import type { EventMap, EventName, Unsubscribe } from '../api/contract.ts';

type Listener<E extends EventName> = (payload: EventMap[E]) => void;

export class EventBus {
  private readonly listeners = new Map<EventName, Set<Listener<never>>>();

  on<E extends EventName>(event: E, listener: Listener<E>): Unsubscribe {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => void set.delete(listener as Listener<never>);
  }

  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<E>)(payload);
      } catch (err) {
        console.error(`distill-studio: a ${event} listener failed: ${(err as Error).message}`);
      }
    }
  }

  listenerCount(event: EventName): number {
    return this.listeners.get(event)?.size ?? 0;
  }
}

/**
 * Keeps the latest value per key and calls `emit` at most every `intervalMs` per key (the first at once, the
 * latest of a burst after the interval), so a fast producer costs its listeners a few calls per second.
 */
export class Throttle<T> {
  private readonly last = new Map<number, number>();
  private readonly pending = new Map<number, { value: T; timer: NodeJS.Timeout }>();

  constructor(
    private readonly intervalMs: number,
    private readonly emit: (key: number, value: T) => void,
  ) {}

  push(key: number, value: T): void {
    const now = Date.now();
    const waiting = this.pending.get(key);
    if (waiting) {
      waiting.value = value;
      return;
    }
    const since = now - (this.last.get(key) ?? -Infinity);
    if (since >= this.intervalMs) {
      this.last.set(key, now);
      this.emit(key, value);
      return;
    }
    const timer = setTimeout(() => {
      const p = this.pending.get(key);
      this.pending.delete(key);
      if (!p) return;
      this.last.set(key, Date.now());
      this.emit(key, p.value);
    }, this.intervalMs - since);
    timer.unref();
    this.pending.set(key, { value, timer });
  }

  /** Sends what waits for `key` now (e.g. before its final status). */
  flush(key: number): void {
    const p = this.pending.get(key);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(key);
    this.last.set(key, Date.now());
    this.emit(key, p.value);
  }

  /** Forgets `key` without sending. */
  drop(key: number): void {
    const p = this.pending.get(key);
    if (p) clearTimeout(p.timer);
    this.pending.delete(key);
    this.last.delete(key);
  }
}
