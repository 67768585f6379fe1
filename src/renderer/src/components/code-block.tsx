import type { ReactNode } from 'react';

/**
 * A block of code (a rule's YAML, its SQL) that scrolls on its own. It takes
 * focus so the keyboard can scroll it too, and names itself for screen readers.
 */
export function CodeBlock({ label, children, className, testId }: { label: string; children: ReactNode; className?: string; testId?: string }) {
  return (
    // A scrollable region has to be reachable by the keyboard (WCAG 2.1.1); tabIndex makes it so.
    <pre className={`code${className ? ` ${className}` : ''}`} tabIndex={0} role="region" aria-label={label} data-testid={testId}>
      {children}
    </pre>
  );
}
