'use strict'

// Logging must never break the client: with LOOKER_CI_LOG=trace, a CI log pipe that is closed or
// that nobody reads (a slow reader) must not fail or stall any call. Each scenario runs in a
// child process whose stderr is such a pipe; the child reports on stdout.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')

const CALLS = 300

const scenario = `
const { LookerClient } = require(${JSON.stringify(path.join(__dirname, '..'))})
const { FakeLooker } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'testing'))})
;(async () => {
  const fake = await FakeLooker.start()
  fake.setTokenLifetime(1)
  const client = new LookerClient(fake.clientOptions())
  let ok = 0
  const failures = new Map()
  for (let i = 0; i < ${CALLS}; i++) {
    try {
      await client.me()
      ok++
    } catch (e) {
      const key = e.code || e.message
      failures.set(key, (failures.get(key) || 0) + 1)
    }
  }
  await client.close()
  fake.stop()
  process.stdout.write(JSON.stringify({ ok, failures: Object.fromEntries(failures) }) + '\\n')
})().catch((e) => { process.stdout.write(JSON.stringify({ crashed: String(e) }) + '\\n') })
`

/** Run the scenario with stderr as a pipe that `onStart` mistreats; resolve with its report. */
function runWithStderr(onStart) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', scenario], {
      env: { ...process.env, LOOKER_CI_LOG: 'trace' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    onStart(child)
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk) => (out += chunk))
    // A liveness bound, not a speed check: without the fix the child stalls or spins forever.
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the child did not finish; stdout so far: ${out}`))
    }, 120_000)
    child.on('exit', () => {
      clearTimeout(timer)
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()))
      } catch {
        reject(new Error(`no report from the child: ${out}`))
      }
    })
  })
}

test('a closed stderr (EPIPE) with trace logging fails no call', async () => {
  const report = await runWithStderr((child) => child.stderr.destroy())
  assert.deepEqual(report, { ok: CALLS, failures: {} })
})

test('a stderr nobody reads (full pipe) with trace logging fails or stalls no call', async () => {
  // Never read: the pipe fills after a few KiB of trace lines.
  const report = await runWithStderr((child) => child.stderr.pause())
  assert.deepEqual(report, { ok: CALLS, failures: {} })
})
