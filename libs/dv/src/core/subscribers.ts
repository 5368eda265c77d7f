/** Called with a listener's failure: a throw, or the rejection of the promise it returned. */
export type ListenerErrorHandler = (error: unknown) => void;

/**
 * A typed list of listeners: the way components hand results to each other without importing
 * each other. Each listener runs in subscription order; one that throws (or rejects) is reported
 * to `onError` and does not stop the others.
 */
export class Subscribers<Args extends readonly unknown[]> {
  private readonly listeners = new Set<(...args: Args) => unknown>();

  constructor(private readonly onError: ListenerErrorHandler = (error) => console.error('subscriber failed:', error)) {}

  /** Adds a listener; returns the function that removes it. The same function added twice runs once. */
  subscribe(listener: (...args: Args) => unknown): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get size(): number {
    return this.listeners.size;
  }

  emit(...args: Args): void {
    for (const listener of [...this.listeners]) {
      try {
        const result = listener(...args);
        if (result instanceof Promise) result.catch(this.onError);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
