// A sorted set of keys with ordered iteration from a start key: the range
// index behind list and count. A sorted array with binary-search insert is
// fast enough here (inserts are memmoves of pointers) and simple.

export class SortedKeys {
  private keys: string[] = [];
  private readonly set = new Set<string>();

  /** First position whose key is >= key. */
  lowerBound(key: string): number {
    return this.index(key);
  }

  /** The key at a position (undefined past the end). */
  at(i: number): string | undefined {
    return this.keys[i];
  }

  /** Replaces the contents with already sorted, distinct keys. */
  reset(sorted: string[]): void {
    this.keys = sorted;
    this.set.clear();
    for (const k of sorted) this.set.add(k);
  }

  private index(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(key: string): void {
    if (this.set.has(key)) return;
    this.set.add(key);
    const i = this.index(key);
    if (i === this.keys.length) this.keys.push(key);
    else this.keys.splice(i, 0, key);
  }

  delete(key: string): void {
    if (!this.set.delete(key)) return;
    this.keys.splice(this.index(key), 1);
  }

  has(key: string): boolean {
    return this.set.has(key);
  }

  get size(): number {
    return this.keys.length;
  }

  /** Keys >= start (or > start when exclusive), in order. */
  *from(start: string, exclusive: boolean): Iterable<string> {
    let i = this.index(start);
    if (exclusive && this.keys[i] === start) i++;
    for (; i < this.keys.length; i++) yield this.keys[i];
  }
}
