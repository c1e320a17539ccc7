'use strict'

// Identity-based access from Node: a GitLab-shaped id token -> STS (moto) -> Secrets Manager
// (moto, SigV4 checked) -> FakeLooker, with no Looker secret in the job's environment; the
// chain's report; a JS function as the credential provider.
const { peerTest } = require('./peers')
const { test } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const { LookerClient } = require('..')
const { FakeLooker } = require('../lib/testing')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const b64 = (value) => Buffer.from(value).toString('base64url')

function gitlabIdToken(issuer, audience, lifetime = 300) {
  const now = Math.floor(Date.now() / 1000)
  const claims = {
    iss: issuer,
    sub: 'project_path:platform/looker-models:ref_type:branch:ref:main',
    aud: audience,
    iat: now,
    exp: now + lifetime,
    project_path: 'platform/looker-models',
    jti: crypto.randomBytes(8).toString('hex'),
  }
  return `${b64('{"alg":"RS256","typ":"JWT"}')}.${b64(JSON.stringify(claims))}.${b64(crypto.randomBytes(64))}`
}

function motoFixture() {
  const path = process.env.LOOKER_CI_TEST_MOTO
  assert.ok(path, 'LOOKER_CI_TEST_MOTO is not set: scripts/test-all starts the moto peer')
  return JSON.parse(fs.readFileSync(path, 'utf8'))
}

/** Run `fn` with the job's environment set (and restored after). */
async function withJobEnv(extra, fn) {
  const moto = motoFixture()
  const fake = await FakeLooker.start()
  fake.setApiKey(moto.client_id, moto.client_secret)
  const saved = { ...process.env }
  const token = gitlabIdToken(moto.issuer, 'sts.amazonaws.com')
  for (const name of Object.keys(process.env)) {
    if (/^(LOOKERSDK_|LOOKER_CI_|AWS_|ACTIONS_ID_TOKEN_)/.test(name) && name !== 'LOOKER_CI_TEST_MOTO') {
      delete process.env[name]
    }
  }
  Object.assign(process.env, {
    LOOKERSDK_BASE_URL: fake.baseUrl,
    LOOKER_ID_TOKEN: token,
    AWS_ROLE_ARN: moto.role_arn,
    AWS_REGION: moto.region,
    AWS_ENDPOINT_URL: moto.url,
    LOOKER_CI_AWS_SECRET_ID: moto.secret_id,
    ...extra(moto),
  })
  try {
    await fn({ moto, fake, token })
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
    Object.assign(process.env, saved)
    fake.stop()
  }
}

peerTest('moto', 'CI identity -> STS -> Secrets Manager -> Looker with no Looker secret in the job', () =>
  withJobEnv(
    () => ({}),
    async ({ moto, fake, token }) => {
      assert.ok(!Object.values(process.env).includes(moto.client_secret))
      const client = await LookerClient.fromEnv()
      const report = client.describe()
      assert.equal(report.source, 'aws-secrets-manager')
      assert.match(report.detail, /env:LOOKER_ID_TOKEN/)
      assert.equal(report.skipped[0][0], 'settings')
      assert.equal((await client.me()).id, '1')
      await client.close()
      assert.deepEqual([fake.counters().logins, fake.counters().logouts], [1, 1])
      const shown = require('node:util').inspect(client) + JSON.stringify(report)
      for (const secret of [token, moto.client_secret, ...fake.issuedTokens()]) {
        assert.ok(!shown.includes(secret))
      }
    },
  ))

peerTest('moto', 'one refresh each across an AWS credential expiry and a Looker token expiry', () =>
  withJobEnv(
    () => ({ LOOKER_CI_AWS_ROLE_DURATION: '3' }),
    async ({ fake }) => {
      fake.setTokenLifetime(1)
      const client = await LookerClient.fromEnv()
      await client.me()
      await sleep(1300)
      await client.me()
      assert.equal(fake.counters().logins, 2)
      await sleep(2000)
      await Promise.all(Array.from({ length: 50 }, () => client.me()))
      assert.equal(fake.counters().logins, 3)
      await client.close()
    },
  ))

peerTest('moto', 'a role without access to the secret says which permission is missing', () =>
  withJobEnv(
    (moto) => ({ AWS_ROLE_ARN: moto.denied_role_arn }),
    async () => {
      const client = await LookerClient.fromEnv()
      await assert.rejects(client.me(), (e) => {
        assert.equal(e.code, 'LOOKER_CI_CREDENTIALS')
        assert.equal(e.provider, 'aws-secrets-manager')
        assert.match(e.message, /secretsmanager:GetSecretValue/)
        return true
      })
    },
  ))

test('a JS function is a credential provider, called once per login', async () => {
  const fake = await FakeLooker.start()
  let calls = 0
  fake.setTokenLifetime(1)
  const client = new LookerClient({
    baseUrl: fake.baseUrl,
    credentials: () => {
      calls++
      return { clientId: fake.clientId, clientSecret: fake.clientSecret }
    },
  })
  assert.equal(client.describe().source, 'js-function')
  await client.me()
  await sleep(1200)
  await client.me()
  assert.equal(calls, 2)
  const failing = new LookerClient({
    baseUrl: fake.baseUrl,
    credentials: async () => {
      throw new Error('vault is sealed')
    },
  })
  await assert.rejects(failing.me(), { code: 'LOOKER_CI_CREDENTIALS', message: /vault is sealed/ })
  assert.throws(() => new LookerClient({ baseUrl: fake.baseUrl, credentials: 'nope' }), {
    code: 'LOOKER_CI_INVALID_ARGUMENT',
    argument: 'credentials',
  })
  await client.close()
  fake.stop()
})

peerTest('moto', 'providers configured through env without touching process.env', async () => {
  const moto = motoFixture()
  const fake = await FakeLooker.start()
  fake.setApiKey(moto.client_id, moto.client_secret)
  const env = {
    LOOKERSDK_BASE_URL: fake.baseUrl,
    LOOKER_ID_TOKEN: gitlabIdToken(moto.issuer, 'sts.amazonaws.com'),
    AWS_ROLE_ARN: moto.role_arn,
    AWS_REGION: moto.region,
    AWS_ENDPOINT_URL: moto.url,
    LOOKER_CI_AWS_SECRET_ID: moto.secret_id,
  }
  const client = await LookerClient.fromEnv({ env })
  assert.equal(client.describe().source, 'aws-secrets-manager')
  assert.equal((await client.me()).id, '1')
  await client.close()
  const explicit = new LookerClient({ baseUrl: fake.baseUrl, readEnv: true, env })
  assert.equal((await explicit.me()).id, '1')
  await explicit.close()
  assert.equal(process.env.AWS_ROLE_ARN, undefined)
  fake.stop()
})
