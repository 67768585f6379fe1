import { EmptyState } from '../components/empty-state';

export function ReportsView() {
  return (
    <section className="view" aria-labelledby="view-title" data-view="reports">
      <header className="view-header">
        <h1 id="view-title">Reports</h1>
      </header>
      <EmptyState title="Nothing here yet">The findings report is built here.</EmptyState>
    </section>
  );
}
