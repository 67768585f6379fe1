import { useEffect, useRef } from 'react';

export interface HuntKeys {
  focusSearch(): void;
  move(delta: number): void;
  open(): void;
  star(): void;
  close(): void;
}

/**
 * The hunt's keyboard: / focuses the search, j/k move the selection, Enter
 * opens the selected event, s stars it, Esc closes the detail. Keys typed
 * into a field stay there (except Esc).
 */
export function useHuntKeys(keys: HuntKeys): void {
  const latest = useRef(keys);
  useEffect(() => {
    latest.current = keys;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      const typing = t !== null && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
      const k = latest.current;
      if (e.key === 'Escape') {
        if (!typing) k.close();
        return;
      }
      if (typing || document.querySelector('dialog[open]')) return;
      switch (e.key) {
        case '/':
          e.preventDefault();
          k.focusSearch();
          break;
        case 'j':
        case 'ArrowDown':
          e.preventDefault();
          k.move(1);
          break;
        case 'k':
        case 'ArrowUp':
          e.preventDefault();
          k.move(-1);
          break;
        case 'Enter':
          if (t?.tagName === 'BUTTON' || t?.tagName === 'A') return;
          e.preventDefault();
          k.open();
          break;
        case 's':
          e.preventDefault();
          k.star();
          break;
        default:
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
