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
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  peek(): Entry | undefined {
    return this.items[0];
  }

  pop(): Entry | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function less(x: Entry, y: Entry): boolean {
  return x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);
}
