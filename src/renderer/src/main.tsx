import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connect } from './api/client';
import { ConnectionProvider } from './api/context';
import { App } from './app';
import { AppStateProvider } from './app-state';
import { PrefsProvider } from './prefs';
import './styles.css';

const connection = connect();
const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <PrefsProvider>
        <ConnectionProvider connection={connection}>
          <AppStateProvider>
            <App />
          </AppStateProvider>
        </ConnectionProvider>
      </PrefsProvider>
    </StrictMode>,
  );
}
