#!/usr/bin/env node
'use strict';
// A failed write of the output is not a crash: a reader that stops early (`| head`) closes the
// pipe, and peerguard stops quietly; any other failure (a full disk) is named, with exit 2, so a
// CI gate cannot take a report it never received for "findings" (1) or "clean" (0).
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  process.stderr.write(`peerguard: cannot write the output: ${error.message}\n`);
  process.exit(2);
});
process.stderr.on('error', () => process.exit(2));
require('../dist/src/cli/main.js').main(process.argv).then((code) => {
  process.exitCode = code;
});
