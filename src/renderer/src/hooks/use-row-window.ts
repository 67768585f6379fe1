import { useLayoutEffect, useState, type RefObject } from 'react';

/**
 * Which rows of a very long list are on screen, for a fixed row height.
 *
 * Browsers cap an element's height (Chrome near 33.5M px, Firefox near 17.9M),
 * so 10M rows of 28 px (280M px) cannot be laid out at full size, and a
 * plain virtualiser (TanStack's included) stops at about a million rows. Here
 * the scrollable height is capped at MAX_PX and the scrollbar position maps
 * proportionally onto the rows: dragging the thumb reaches any row of any
 * result. When the list is scaled, the wheel and keys move by real rows (not
 * by scaled pixels), so scrolling stays smooth and exact; when it fits, the
 * browser scrolls natively and the mapping is the identity.
 */
export const MAX_PX = 8_000_000;

export interface RowWindow {
  /** First and last row index to render (overscan included). */
  start: number;
  end: number;
  /** Where row i goes, in px from the top of the rows' container (outside [0, totalPx) means: do not draw it). */
  offsetOf(i: number): number;
  /** Height of the rows' container. */
  totalPx: number;
  scrollToIndex(i: number, align?: 'auto' | 'center'): void;
}

interface Snapshot {
  /** Fractional index of the row at the top of the viewport. */
  top: number;
  scrollTop: number;
  viewHeight: number;
}

/** The scroll mapping, outside React: it owns the element's listeners and scroll position. */
class RowWindowController {
  private el: HTMLDivElement | null = null;
  private count = 0;
  private snap: Snapshot = { top: 0, scrollTop: 0, viewHeight: 600 };
  private programmatic = false;
  private listener: (s: Snapshot) => void = () => undefined;

  constructor(
    private readonly rowHeight: number,
    private readonly headerHeight: number,
  ) {}

  private get visible(): number {
    return Math.max(1, (this.snap.viewHeight - this.headerHeight) / this.rowHeight);
  }

  private get maxTop(): number {
    return Math.max(0, this.count - this.visible);
  }

  private get scaled(): boolean {
    return this.count * this.rowHeight > MAX_PX;
  }

  private get range(): number {
    return this.el ? Math.max(1, this.el.scrollHeight - this.el.clientHeight) : 1;
  }

  private emit(patch: Partial<Snapshot>): void {
    this.snap = { ...this.snap, ...patch };
    this.listener(this.snap);
  }

  setListener(l: (s: Snapshot) => void): void {
    this.listener = l;
  }

  setCount(count: number): void {
    this.count = count;
    if (this.snap.top > this.maxTop) this.apply(this.maxTop);
  }

  attach(el: HTMLDivElement | null): () => void {
    this.el = el;
    if (!el) return () => undefined;
    const onScroll = () => {
      if (this.programmatic) {
        this.programmatic = false;
        this.emit({ scrollTop: el.scrollTop });
        return;
      }
      this.emit({ scrollTop: el.scrollTop, top: this.maxTop > 0 ? (el.scrollTop / this.range) * this.maxTop : 0 });
    };
    const onWheel = (e: WheelEvent) => {
      if (!this.scaled || e.ctrlKey) return;
      // Scaled: one scaled pixel would be many rows; move by real rows instead.
      e.preventDefault();
      const px = e.deltaMode === 1 ? e.deltaY * this.rowHeight : e.deltaMode === 2 ? e.deltaY * (this.snap.viewHeight - this.headerHeight) : e.deltaY;
      this.apply(this.snap.top + px / this.rowHeight);
    };
    const ro = new ResizeObserver(() => this.emit({ viewHeight: el.clientHeight }));
    ro.observe(el);
    el.addEventListener('scroll', onScroll, { passive: true });
    el.addEventListener('wheel', onWheel, { passive: false });
    this.emit({ viewHeight: el.clientHeight, scrollTop: el.scrollTop });
    return () => {
      ro.disconnect();
      el.removeEventListener('scroll', onScroll);
      el.removeEventListener('wheel', onWheel);
    };
  }

  apply(t: number): void {
    const top = Math.max(0, Math.min(this.maxTop, t));
    const el = this.el;
    if (!el) {
      this.emit({ top });
      return;
    }
    const target = this.maxTop > 0 ? (top / this.maxTop) * this.range : 0;
    if (Math.abs(el.scrollTop - target) >= 0.5) {
      this.programmatic = true;
      el.scrollTop = target;
    }
    this.emit({ top, scrollTop: el.scrollTop });
  }

  scrollToIndex(i: number, align: 'auto' | 'center'): void {
    const t = this.snap.top;
    if (align === 'center') this.apply(i - this.visible / 2 + 0.5);
    else if (i < t) this.apply(i);
    else if (i + 1 > t + this.visible) this.apply(i + 1 - this.visible);
  }
}

export function useRowWindow(scroll: RefObject<HTMLDivElement | null>, count: number, rowHeight: number, headerHeight: number, overscan = 20): RowWindow {
  const [ctrl] = useState(() => new RowWindowController(rowHeight, headerHeight));
  const [snap, setSnap] = useState<Snapshot>({ top: 0, scrollTop: 0, viewHeight: 600 });

  useLayoutEffect(() => {
    ctrl.setListener(setSnap);
    return ctrl.attach(scroll.current);
  }, [ctrl, scroll]);

  useLayoutEffect(() => {
    ctrl.setCount(count);
  }, [ctrl, count]);

  const totalPx = Math.min(count * rowHeight, MAX_PX);
  const visible = Math.max(1, (snap.viewHeight - headerHeight) / rowHeight);
  const top = Math.min(snap.top, Math.max(0, count - visible));
  const start = Math.max(0, Math.floor(top) - overscan);
  const end = Math.min(count - 1, Math.ceil(top + visible) + overscan);
  return {
    start,
    end,
    // Rows sit where the viewport is: its scroll offset plus their distance from the top row.
    offsetOf: (i: number) => snap.scrollTop + (i - top) * rowHeight,
    totalPx,
    scrollToIndex: (i, align = 'auto') => ctrl.scrollToIndex(i, align),
  };
}
