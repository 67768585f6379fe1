#!/usr/bin/env node
'use strict';
// The published entry: the CLI is built into out/main/cli.js by `npm run build`.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const cli = join(__dirname, '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('loupe: not built yet; run `npm run build` first\n');
  process.exit(1);
}
require(cli).main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`loupe: ${e && e.message ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
