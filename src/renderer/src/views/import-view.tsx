import { EmptyState } from '../components/empty-state';

export function ImportView() {
  return (
    <section className="view" aria-labelledby="view-title" data-view="import">
      <header className="view-header">
        <h1 id="view-title">Import</h1>
      </header>
      <EmptyState title="Nothing here yet">Drop files, folders or archives here to import them.</EmptyState>
    </section>
  );
}
