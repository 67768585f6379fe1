import { EmptyState } from '../components/empty-state';

export function RulesView() {
  return (
    <section className="view" aria-labelledby="view-title" data-view="rules">
      <header className="view-header">
        <h1 id="view-title">Rules</h1>
      </header>
      <EmptyState title="Nothing here yet">Sigma rule packs and their status appear here.</EmptyState>
    </section>
  );
}
