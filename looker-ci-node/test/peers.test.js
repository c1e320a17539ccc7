'use strict'
// A test that needs a peer is skipped (with the reason) when run alone without it, and fails
// inside the test command: it can never pass silently by not running there.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

function runAlone(extraEnv) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'looker-ci-peers-'))
  const file = path.join(dir, 'needs_moto.test.js')
  fs.writeFileSync(file, `const { peerTest } = require(${JSON.stringify(path.join(__dirname, 'peers'))})
peerTest('moto', 'uses moto', () => {})\n`)
  const env = { ...process.env, ...extraEnv }
  delete env.LOOKER_CI_TEST_MOTO
  // The runner of this test tells its children to report to it; this child reports as TAP.
  delete env.NODE_TEST_CONTEXT
  if (!('LOOKER_CI_TEST_COMMAND' in extraEnv)) delete env.LOOKER_CI_TEST_COMMAND
  const run = spawnSync(process.execPath, ['--test', file], { env, encoding: 'utf8' })
  fs.rmSync(dir, { recursive: true, force: true })
  return run
}

test('outside the test command a missing peer skips the test, naming the peer', () => {
  const run = runAlone({})
  assert.equal(run.status, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /# skipped 1/)
  assert.match(run.stdout, /needs the moto peer \(LOOKER_CI_TEST_MOTO\)/)
  assert.match(run.stdout, /uses moto \[peer: moto\]/)
})

test('inside the test command a missing peer fails the test', () => {
  const run = runAlone({ LOOKER_CI_TEST_COMMAND: '1' })
  assert.notEqual(run.status, 0)
  assert.match(run.stdout, /# fail 1/)
})
