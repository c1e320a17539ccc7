'use strict'

// Runs a scenario in a child process with LOOKER_CI_LOG=trace and searches all its output, and
// util.inspect of every object, for each secret used.
const { peerTest } = require('./peers')
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const path = require('node:path')

const scenario = `
const { inspect } = require('node:util')
const { LookerClient } = require(${JSON.stringify(path.join(__dirname, '..'))})
const { FakeLooker } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'testing'))})
;(async () => {
  const fake = await FakeLooker.start()
  fake.addUser(2, 'Grace', 'Hopper')
  fake.setTokenLifetime(1)
  const client = new LookerClient({ ...fake.clientOptions(), devWorkspace: true })
  console.log(inspect(client), inspect(fake), JSON.stringify(client))
  await client.me()
  await new Promise((r) => setTimeout(r, 1100))
  await client.me()
  fake.revokeAllTokens()
  await client.me()
  fake.injectFault({ status: 503, retryAfter: '0' })
  await client.me()
  fake.setReportedExpiresIn(-1)
  const sudo = client.loginUser(2)
  await sudo.me()
  console.log(inspect(sudo))
  await sudo.close()
  const wrong = new LookerClient({ ...fake.clientOptions(), clientSecret: 'wrong-secret-in-node' })
  try { await wrong.me() } catch (e) { console.log(inspect(e), String(e), JSON.stringify(e)) }
  await client.close()
  try { await client.me() } catch (e) { console.log(inspect(e)) }
  console.error('SECRETS ' + JSON.stringify([...fake.issuedTokens(), fake.clientSecret, 'wrong-secret-in-node']))
  fake.stop()
})().catch((e) => { console.error('FAILED', e); process.exit(1) })
`

test('no secret in trace logs, util.inspect, or errors', () => {
  const run = spawnSync(process.execPath, ['-e', scenario], {
    env: { ...process.env, LOOKER_CI_LOG: 'trace' },
    encoding: 'utf8',
  })
  assert.equal(run.status, 0, run.stderr)
  const marker = run.stderr.lastIndexOf('SECRETS ')
  const secrets = JSON.parse(run.stderr.slice(marker + 8).split('\n')[0])
  const output = run.stdout + run.stderr.slice(0, marker)
  assert.ok(output.includes('TRACE') || output.includes('DEBUG'), 'trace logging was on')
  assert.ok(output.includes('lifetime'), 'the clamp was logged')
  assert.ok(secrets.length >= 6)
  for (const secret of secrets) assert.ok(!output.includes(secret), 'a secret leaked')
})

const awsScenario = `
const crypto = require('node:crypto')
const fs = require('node:fs')
const { inspect } = require('node:util')
const { LookerClient } = require(${JSON.stringify(path.join(__dirname, '..'))})
const { FakeLooker } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'testing'))})
const b64 = (v) => Buffer.from(v).toString('base64url')
;(async () => {
  const moto = JSON.parse(fs.readFileSync(process.env.LOOKER_CI_TEST_MOTO, 'utf8'))
  const fake = await FakeLooker.start()
  fake.setApiKey(moto.client_id, moto.client_secret)
  const now = Math.floor(Date.now() / 1000)
  const claims = { iss: moto.issuer, sub: 'project_path:g/p', aud: 'sts.amazonaws.com', iat: now, exp: now + 300 }
  const token = b64('{"alg":"RS256"}') + '.' + b64(JSON.stringify(claims)) + '.' + b64(crypto.randomBytes(64))
  const client = await LookerClient.fromEnv({ env: {
    LOOKERSDK_BASE_URL: fake.baseUrl, LOOKER_ID_TOKEN: token, AWS_ROLE_ARN: moto.role_arn,
    AWS_REGION: moto.region, AWS_ENDPOINT_URL: moto.url, LOOKER_CI_AWS_SECRET_ID: moto.secret_id } })
  console.log(inspect(client), JSON.stringify(client.describe()))
  await client.me()
  await client.close()
  console.error('SECRETS ' + JSON.stringify([token, moto.client_secret, ...fake.issuedTokens()]))
  fake.stop()
})().catch((e) => { console.error('FAILED', e); process.exit(1) })
`

peerTest('moto', 'no secret of the AWS path in trace logs or inspect output', () => {
  const run = spawnSync(process.execPath, ['-e', awsScenario], {
    env: { ...process.env, LOOKER_CI_LOG: 'trace' },
    encoding: 'utf8',
  })
  assert.equal(run.status, 0, run.stderr)
  const marker = run.stderr.lastIndexOf('SECRETS ')
  const secrets = JSON.parse(run.stderr.slice(marker + 8).split('\n')[0])
  const output = run.stdout + run.stderr.slice(0, marker)
  assert.ok(output.includes('assumed the AWS role'), 'the AWS path was traced')
  for (const secret of secrets) assert.ok(!output.includes(secret), 'a secret leaked')
})
