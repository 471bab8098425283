/**
 * Runs async tasks one at a time per key, in arrival order, while tasks under other keys run
 * alongside. The action workers record outcomes through it: emails of one contact finishing
 * together would otherwise race for the contact's record, each refused by the version check
 * the others moved and read again.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` once every earlier task under `key` has settled (fulfilled or not); resolves or rejects as it does. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key);
    const p = before ? before.then(task) : task();
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
