'use strict'

// A sample of the generated methods against Prism serving the official spec (requests that break
// the spec are refused). Required parameters get '1'.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { LookerClient } = require('..')
const { OPERATIONS } = require('../lib/operations')

// Spec defect (see docs/api-coverage.md): Prism answers 500 for these.
const KNOWN_EXCEPTIONS = new Set(['all_integrations', 'integration', 'update_integration'])

test('a sample of 60 generated methods is accepted by the spec', async () => {
  const url = process.env.LOOKER_CI_TEST_PRISM
  assert.ok(url, 'LOOKER_CI_TEST_PRISM is not set: scripts/test-all starts Prism')
  const client = new LookerClient({ baseUrl: url, clientId: 'conformance', clientSecret: 'conformance-secret', timeout: 20 })
  const candidates = OPERATIONS.filter(([, , , bodyRequired]) => !bodyRequired)
  const step = Math.max(1, Math.floor(candidates.length / 60))
  const sample = candidates.filter((_, i) => i % step === 0).slice(0, 60)
  assert.ok(sample.length >= 50)
  const failures = {}
  for (const [method, operationId, required] of sample) {
    const params = Object.fromEntries(required.map((name) => [name, '1']))
    try {
      await client[method](params)
    } catch (error) {
      failures[operationId] = error.message
    }
  }
  const unexpected = Object.entries(failures).filter(([id]) => !KNOWN_EXCEPTIONS.has(id))
  assert.deepEqual(unexpected, [])
  assert.ok(sample.length - Object.keys(failures).length >= 50)
  await client.close()
})
