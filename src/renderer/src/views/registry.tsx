import type { ComponentType } from 'react';
import { AlertsView } from './alerts-view';
import { DashboardView } from './dashboard-view';
import { EntitiesView } from './entities-view';
import { ImportView } from './import-view';
import { LiveView } from './live-view';
import { ReportsView } from './reports-view';
import { RulesView } from './rules-view';
import { SearchView } from './search-view';
import { SettingsView } from './settings-view';
import { TimelineView } from './timeline-view';

export interface ViewDef {
  id: string;
  label: string;
  /** Alt+key switches to the view. */
  key: string;
  icon: string;
  component: ComponentType;
}

/** The views in navigation order; the hash route is #/<id>. */
export const VIEWS: ViewDef[] = [
  { id: 'import', label: 'Import', key: '1', icon: 'M12 3v12m0 0-4-4m4 4 4-4M4 17v3h16v-3', component: ImportView },
  { id: 'live', label: 'Live', key: '0', icon: 'M5 12a7 7 0 0 1 14 0M8.5 12a3.5 3.5 0 0 1 7 0M12 12v8', component: LiveView },
  { id: 'search', label: 'Search', key: '2', icon: 'M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14Zm9 16-4.3-4.3', component: SearchView },
  { id: 'timeline', label: 'Timeline', key: '3', icon: 'M4 6h10M4 12h16M4 18h7', component: TimelineView },
  { id: 'alerts', label: 'Alerts', key: '4', icon: 'M12 3 2 20h20L12 3Zm0 6v5m0 3v.5', component: AlertsView },
  { id: 'dashboard', label: 'Dashboard', key: '5', icon: 'M4 4h7v7H4zM13 4h7v4h-7zM13 10h7v10h-7zM4 13h7v7H4z', component: DashboardView },
  { id: 'entities', label: 'Entities', key: '6', icon: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8Zm-7 8a7 7 0 0 1 14 0', component: EntitiesView },
  { id: 'rules', label: 'Rules', key: '7', icon: 'M5 4h14v16H5zM8 8h8M8 12h8M8 16h5', component: RulesView },
  { id: 'reports', label: 'Reports', key: '8', icon: 'M6 3h9l4 4v14H6zM14 3v5h5M9 13h7M9 17h7', component: ReportsView },
  { id: 'settings', label: 'Settings', key: '9', icon: 'M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6Zm8 3-2-1 .5-2.5-2-2-2.5.5-1-2h-3l-1 2-2.5-.5-2 2L5 11l-2 1 2 1-.5 2.5 2 2 2.5-.5 1 2h3l1-2 2.5.5 2-2L18 13z', component: SettingsView },
];
