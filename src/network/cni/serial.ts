// Serializing async work: one queue per key (a container's attach/detach run
// one after another) and a plain mutex.
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

export class Mutex {
  private readonly q = new KeyedQueue();

  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.q.run('', fn);
  }
}
