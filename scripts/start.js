#!/usr/bin/env node
'use strict';
// `npm start`: build when needed, then open the desktop app. Where the Electron
// binary cannot be had (no network on first start), say so in one line and
// start browser mode instead, so the analyst is never left with nothing.
const { spawnSync, spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const built = ['out/main/index.js', 'out/main/cli.js', 'out/preload/index.js', 'out/renderer/index.html'].every((f) => existsSync(join(root, f)));
if (!built) {
  console.error('loupe: building the app (first start)…');
  const r = spawnSync(process.execPath, [require.resolve('electron-vite/bin/electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function electronBinary() {
  try {
    const p = require('electron');
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

let bin = electronBinary();
if (!bin && existsSync(join(root, 'node_modules/electron/install.js'))) {
  // npm may have held back Electron's download script; try it once.
  spawnSync(process.execPath, [join(root, 'node_modules/electron/install.js')], { cwd: join(root, 'node_modules/electron'), stdio: 'ignore', timeout: 120000 });
  bin = electronBinary();
}

if (bin) {
  const child = spawn(bin, [root], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.error('loupe: the Electron binary is not available (it is downloaded on first start and this machine is offline); starting browser mode instead.');
  const child = spawn(process.execPath, [join(root, 'bin/loupe.js'), 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
}
