// looker-ci quickstart (Node): log in, call me() from many concurrent promises across a token
// expiry, log out, print a summary. Runs against LOOKERSDK_* / looker.ini when set, else a
// FakeLooker.
//
//   (cd looker-ci-node && npm install) && node examples/quickstart/quickstart.mjs
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { LookerClient } = require('../../looker-ci-node')
const { FakeLooker } = require('../../looker-ci-node/lib/testing')

const WORKERS = 64
let fake
let client
let duration
if (process.env.LOOKERSDK_BASE_URL || existsSync('looker.ini')) {
  console.log('looker-ci quickstart (Node) against the configured Looker instance')
  client = await LookerClient.fromEnv()
  duration = 3000
} else {
  fake = await FakeLooker.start()
  fake.setTokenLifetime(2) // short tokens, so the run crosses two expiries
  console.log(`looker-ci quickstart (Node) against an embedded FakeLooker at ${fake.baseUrl}`)
  client = new LookerClient(fake.clientOptions())
  duration = 4500
}

const me = await client.me()
console.log(`  logged in as: ${me.display_name} (user id ${me.id})`)
const deadline = Date.now() + duration
let calls = 0
let errors = 0
await Promise.all(
  Array.from({ length: WORKERS }, async () => {
    while (Date.now() < deadline) {
      try {
        await client.me()
        calls++
      } catch (error) {
        errors++
        console.error(`  call failed: ${error.message}`)
      }
    }
  }),
)
await client.close()
const stats = client.stats()
console.log(`  ${calls} me() calls from ${WORKERS} concurrent workers in ${(duration / 1000).toFixed(1)}s, ${errors} errors`)
console.log(`  logins: ${stats.logins}, re-authentications after 401: ${stats.reauthentications}`)
if (fake) {
  const seen = fake.counters()
  console.log(`  FakeLooker saw ${seen.logins} logins, ${seen.logouts} logouts, ${fake.liveTokens()} live tokens left`)
  fake.stop()
}
console.log('  logged out: yes')
process.exitCode = errors ? 1 : 0
