// One Node client fetching the dashboard list, in its own process (so peak memory is its own):
// `ours` (looker-ci `allDashboards()`), `request` (looker-ci's generic
// `request('GET', '/dashboards')`), `fetch` (`fetch` + `JSON.parse`) or `looker_sdk`
// (@looker/sdk `all_dashboards()`). Prints one JSON line: median and best seconds per call, peak
// RSS.
//
//   node dashboards.mjs CLIENT BASE_URL ROUNDS
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const [name, baseUrl, rounds] = [process.argv[2], process.argv[3], Number(process.argv[4])]

async function client() {
  if (name === 'ours' || name === 'request') {
    const { LookerClient } = require('../../looker-ci-node')
    const ours = new LookerClient({ baseUrl, clientId: 'bench', clientSecret: 'bench' })
    return name === 'request' ? () => ours.request('GET', '/dashboards') : () => ours.allDashboards()
  }
  if (name === 'fetch') {
    const login = await fetch(`${baseUrl}/api/4.0/login`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: 'bench', client_secret: 'bench' }),
    })
    const { access_token: token } = await login.json()
    const headers = { Authorization: `Bearer ${token}` }
    return async () => JSON.parse(await (await fetch(`${baseUrl}/api/4.0/dashboards`, { headers })).text())
  }
  if (name === 'looker_sdk') {
    Object.assign(process.env, {
      LOOKERSDK_BASE_URL: baseUrl,
      LOOKERSDK_CLIENT_ID: 'bench',
      LOOKERSDK_CLIENT_SECRET: 'bench',
      LOOKERSDK_VERIFY_SSL: 'false',
    })
    const { LookerNodeSDK } = require('@looker/sdk-node')
    const sdk = LookerNodeSDK.init40()
    return async () => sdk.ok(sdk.all_dashboards())
  }
  throw new Error(`unknown client ${name}`)
}

const fetchList = await client()
const count = (await fetchList()).length // warm-up: login, connection, module loading
const times = []
for (let i = 0; i < rounds; i++) {
  const started = process.hrtime.bigint()
  let result = await fetchList()
  times.push(Number(process.hrtime.bigint() - started) / 1e9)
  result = undefined
  void result
}
times.sort((a, b) => a - b)
const median = times[Math.floor(times.length / 2)]
console.log(
  JSON.stringify({
    client: name,
    dashboards: count,
    median_s: median,
    best_s: times[0],
    peak_rss_mib: process.resourceUsage().maxRSS / 1024,
  }),
)
process.exit(0)
