import { EmptyState } from '../components/empty-state';

export function SearchView() {
  return (
    <section className="view" aria-labelledby="view-title" data-view="search">
      <header className="view-header">
        <h1 id="view-title">Search</h1>
      </header>
      <EmptyState title="Nothing here yet">Search the events of this case.</EmptyState>
    </section>
  );
}
