'use strict'

// The generated methods: one per operation, camelCase, one object of the spec's parameter names
// plus `body`, through the one generic native call path.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { LookerClient } = require('..')
const { OPERATIONS } = require('../lib/operations')
const { FakeLooker } = require('../lib/testing')

test('every operation but the session ones and me() has a method', () => {
  assert.equal(OPERATIONS.length, 479)
  for (const [name] of OPERATIONS) assert.equal(typeof LookerClient.prototype[name], 'function', name)
  assert.equal(typeof LookerClient.prototype.login, 'undefined')
})

test('calls reach the API with path, query and body; arguments are checked', async () => {
  const fake = await FakeLooker.start()
  const client = new LookerClient(fake.clientOptions())
  assert.equal((await client.session()).workspace_id, 'production')
  assert.equal((await client.updateSession({ body: { workspace_id: 'dev' } })).workspace_id, 'dev')
  await assert.rejects(client.lookmlModelExplore({ lookml_model_name: 'my model', explore_name: 'a/b' }), {
    code: 'LOOKER_CI_API',
    status: 404,
    path: '/lookml_models/my%20model/explores/a%2Fb',
  })
  await assert.rejects(client.lookmlModelExplore({ lookml_model_name: 'm' }), {
    code: 'LOOKER_CI_INVALID_ARGUMENT',
    argument: 'explore_name',
  })
  await assert.rejects(client.allDashboards({ feilds: 'id' }), { code: 'LOOKER_CI_INVALID_ARGUMENT', argument: 'feilds' })
  await client.close()
  fake.stop()
})
