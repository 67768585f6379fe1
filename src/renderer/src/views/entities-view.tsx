import { EmptyState } from '../components/empty-state';

export function EntitiesView() {
  return (
    <section className="view" aria-labelledby="view-title" data-view="entities">
      <header className="view-header">
        <h1 id="view-title">Entities</h1>
      </header>
      <EmptyState title="Nothing here yet">Pages for IPs, users and hosts appear here.</EmptyState>
    </section>
  );
}
