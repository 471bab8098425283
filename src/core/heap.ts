/**
 * A small binary min-heap of [time, seq, key] used to fire wake-ups in exact order.
 */

type Entry = [time: number, seq: number, key: string];

/** Min-heap ordered by time, then insertion sequence (deterministic ties). */
export class WakeHeap {
  private items: Entry[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(time: number, key: string): void {
    const e: Entry = [time, this.seq++, key];
    const a = this.items;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p]!;
      if (!less(e, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = e;
  }

  peek(): Entry | undefined {
    return this.items[0];
  }

  pop(): Entry | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    const n = a.length;
    if (n > 0 && last) {
      // Sift the last entry down from the root, moving children up into the hole.
      let i = 0;
      for (;;) {
        let m = 2 * i + 1;
        if (m >= n) break;
        if (m + 1 < n && less(a[m + 1]!, a[m]!)) m++;
        if (!less(a[m]!, last)) break;
        a[i] = a[m]!;
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
}

function less(x: Entry, y: Entry): boolean {
  return x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);
}
