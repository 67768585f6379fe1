/**
 * A column of numbers that grows by doubling, 8 bytes an entry in one
 * buffer. Correlations read millions of event ids and times: as JS arrays
 * they held several times that in heap while growing, and stayed there as
 * garbage through the steps after them.
 */
export class NumberColumn {
  private data: Float64Array;
  private size = 0;

  constructor(capacity = 1024) {
    this.data = new Float64Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.size;
  }

  push(v: number): void {
    if (this.size === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.size++] = v;
  }

  /** The entries so far (a view: later pushes may move the data, so take it once the column is full). */
  view(): Float64Array {
    return this.data.subarray(0, this.size);
  }
}
