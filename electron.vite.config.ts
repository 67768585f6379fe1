import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

// Every Node-side program is an entry of the main build, so the CLI, the web
// host and the worker threads ship from the same bundle as the desktop app.
// A worker is found at run time next to the chunk that spawns it
// (see src/main/engine/util/worker-path.ts), hence one flat out/main folder.
const mainEntries: Record<string, string> = Object.fromEntries(
  Object.entries({
    index: 'src/main/hosts/electron/main.ts',
    cli: 'src/main/hosts/cli/main.ts',
    'parse-worker': 'src/main/engine/ingest/parse-worker.ts',
    'evtx-worker': 'src/main/engine/evtx/evtx-worker.ts',
    'live-worker': 'src/main/engine/live/live-worker.ts',
  })
    .map(([name, file]) => [name, resolve(__dirname, file)] as const)
    .filter(([, file]) => existsSync(file)),
);

export default defineConfig({
  main: {
    resolve: { alias: { '@shared': resolve(__dirname, 'src/shared') } },
    build: {
      outDir: 'out/main',
      rollupOptions: { input: mainEntries },
    },
  },
  preload: {
    resolve: { alias: { '@shared': resolve(__dirname, 'src/shared') } },
    build: {
      // A sandboxed preload cannot require() packages: bundle zod and the contract into it.
      externalizeDeps: false,
      outDir: 'out/preload',
      rollupOptions: { input: { index: resolve(__dirname, 'src/preload/index.ts') } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    resolve: { alias: { '@shared': resolve(__dirname, 'src/shared') } },
    plugins: [react()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
  },
});
