import { EmptyState } from '../components/empty-state';

export function AlertsView() {
  return (
    <section className="view" aria-labelledby="view-title" data-view="alerts">
      <header className="view-header">
        <h1 id="view-title">Alerts</h1>
      </header>
      <EmptyState title="Nothing here yet">Alerts appear here once rules have run over imported events.</EmptyState>
    </section>
  );
}
