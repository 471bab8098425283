/**
 * Runs async tasks one at a time per key, in arrival order, while tasks under other keys run
 * alongside. The action workers record outcomes through it: emails of one contact finishing
 * together would otherwise race for the contact's record, each refused by the version check
 * the others moved and read again.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Runs `task` once every earlier task under `key` has settled (fulfilled or not); `waited`
   * tells it whether it had to wait (so what it read before may be stale). Resolves or
   * rejects as the task does.
   */
  run<T>(key: string, task: (waited: boolean) => Promise<T>): Promise<T> {
    const prev = this.tails.get(key);
    const p = prev ? prev.then(() => task(true)) : task(false);
    const tail = p.then(() => undefined, () => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return p;
  }

  /** Keys with a task running or waiting. */
  get size(): number {
    return this.tails.size;
  }
}
