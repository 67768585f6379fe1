import { EmptyState } from '../components/empty-state';

export function TimelineView() {
  return (
    <section className="view" aria-labelledby="view-title" data-view="timeline">
      <header className="view-header">
        <h1 id="view-title">Timeline</h1>
      </header>
      <EmptyState title="Nothing here yet">All sources merged in time order.</EmptyState>
    </section>
  );
}
