import { EmptyState } from '../components/empty-state';

export function DashboardView() {
  return (
    <section className="view" aria-labelledby="view-title" data-view="dashboard">
      <header className="view-header">
        <h1 id="view-title">Dashboard</h1>
      </header>
      <EmptyState title="Nothing here yet">The overview of the case appears here once events are imported.</EmptyState>
    </section>
  );
}
