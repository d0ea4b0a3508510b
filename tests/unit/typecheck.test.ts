/** The whole tree type-checks (server, workflows, tests, and the web app with its own tsconfig). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('npm run typecheck passes for the server code, the tests and the web app', { timeout: 300_000 }, () => {
  for (const project of ['tsconfig.json', 'web/tsconfig.json']) {
    const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', project], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${project}:\n${r.stdout}${r.stderr}`);
  }
});
