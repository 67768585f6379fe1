import { EmptyState } from '../components/empty-state';

export function SettingsView() {
  return (
    <section className="view" aria-labelledby="view-title" data-view="settings">
      <header className="view-header">
        <h1 id="view-title">Settings</h1>
      </header>
      <EmptyState title="Nothing here yet">Intel sources, time zone and theme.</EmptyState>
    </section>
  );
}
