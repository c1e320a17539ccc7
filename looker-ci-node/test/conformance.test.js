'use strict'

// A sample of the generated methods against Prism serving the official spec (requests that break
// the spec are refused). Required parameters get '1'; request bodies are synthesized from the spec
// (required properties only).
const { peerTest } = require('./peers')
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { LookerClient } = require('..')
const { OPERATIONS } = require('../lib/operations')

const SPEC_PATH = path.resolve(__dirname, '../../spec/Looker.4.0.oas.json')
const FORMATS = {
  'date-time': '2026-01-01T00:00:00Z',
  date: '2026-01-01',
  uri: 'https://example.com/x',
  email: 'ci@example.com',
  uuid: '00000000-0000-0000-0000-000000000000',
}

function resolve(spec, node) {
  while (node && node.$ref) {
    node = node.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((target, key) => target[key], spec)
  }
  return node
}

/** A minimal valid value: required properties only, first enum value, one-element arrays. */
function synthesize(spec, schema, depth = 0) {
  schema = resolve(spec, schema) ?? {}
  if (schema.enum && schema.type !== 'array') return schema.enum[0]
  switch (schema.type) {
    case 'string':
      return FORMATS[schema.format] ?? 'x'
    case 'integer':
    case 'number':
      return 1
    case 'boolean':
      return true
    case 'array':
      return depth < 4 ? [synthesize(spec, schema.items, depth + 1)] : []
    default: {
      const required = depth < 4 ? (schema.required ?? []) : []
      return Object.fromEntries(required.map((name) => [name, synthesize(spec, schema.properties[name], depth + 1)]))
    }
  }
}

function requestBody(spec, operationId) {
  for (const item of Object.values(spec.paths)) {
    for (const operation of Object.values(item)) {
      if (operation && operation.operationId === operationId) {
        const content = resolve(spec, operation.requestBody).content
        const json = content['application/json']
        return json ? synthesize(spec, json.schema) : 'x'
      }
    }
  }
  throw new Error(`no operation ${operationId}`)
}

peerTest('prism', 'a sample of 60 generated methods is accepted by the spec', async () => {
  const url = process.env.LOOKER_CI_TEST_PRISM
  const spec = JSON.parse(fs.readFileSync(SPEC_PATH, 'utf8'))
  const client = new LookerClient({ baseUrl: url, clientId: 'conformance', clientSecret: 'conformance-secret', timeout: 20 })
  const step = Math.max(1, Math.floor(OPERATIONS.length / 60))
  const sample = OPERATIONS.filter((_, i) => i % step === 0).slice(0, 60)
  assert.ok(sample.length >= 50)
  assert.ok(sample.filter(([, , , bodyRequired]) => bodyRequired).length >= 10, 'the sample sends request bodies too')
  const failures = {}
  for (const [method, operationId, required, bodyRequired] of sample) {
    const params = Object.fromEntries(required.map((name) => [name, '1']))
    if (bodyRequired) params.body = requestBody(spec, operationId)
    try {
      await client[method](params)
    } catch (error) {
      failures[operationId] = error.message
    }
  }
  assert.deepEqual(failures, {})
  await client.close()
})
