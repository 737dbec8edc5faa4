// A cache of fixed-size pages of rows fetched from the backend, so scrolling a million-row table
// only ever asks for the pages on screen. Pages are dropped least-recently-used beyond `keep`.

export class PageCache<T> {
  private pages = new Map<number, T[]>();
  private pending = new Set<number>();

  constructor(
    readonly pageSize: number,
    readonly keep = 64,
  ) {}

  /** The row at `index`, if its page is loaded. */
  row(index: number): T | undefined {
    const p = this.pages.get(Math.floor(index / this.pageSize));
    return p?.[index % this.pageSize];
  }

  /** Pages needed for rows `[first, first + count)` that are neither loaded nor pending. */
  missing(first: number, count: number): number[] {
    if (count <= 0) return [];
    const a = Math.floor(first / this.pageSize);
    const b = Math.floor((first + count - 1) / this.pageSize);
    const out: number[] = [];
    for (let p = a; p <= b; p++) {
      if (!this.pages.has(p) && !this.pending.has(p)) out.push(p);
    }
    return out;
  }

  markPending(page: number): void {
    this.pending.add(page);
  }

  /** Stores a fetched page (most recently used). */
  put(page: number, rows: T[]): void {
    this.pending.delete(page);
    this.pages.delete(page);
    this.pages.set(page, rows);
    while (this.pages.size > this.keep) {
      const oldest = this.pages.keys().next().value as number;
      this.pages.delete(oldest);
    }
  }

  /** A fetch failed: the page may be asked for again. */
  fail(page: number): void {
    this.pending.delete(page);
  }

  clear(): void {
    this.pages.clear();
    this.pending.clear();
  }

  get loadedPages(): number {
    return this.pages.size;
  }
}
