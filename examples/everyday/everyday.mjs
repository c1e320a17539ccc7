// Everyday Looker calls from a CI job in Node, against an embedded FakeLooker (this script changes
// state — it runs a schedule and triggers a datagroup — so it never targets a real instance): list
// models and explores, run an inline query as CSV, run a scheduled plan once, trigger a datagroup.
// Bodies are plain objects, typed by the interfaces in `lib/models.d.ts`.
//
//   (cd looker-ci-node && npm install) && node examples/everyday/everyday.mjs
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { LookerClient } = require('../../looker-ci-node')
const { FakeLooker } = require('../../looker-ci-node/lib/testing')

const fake = await FakeLooker.start()
const client = new LookerClient(fake.clientOptions())
try {
  for (const model of await client.allLookmlModels({ fields: 'name,explores' })) {
    console.log(`model ${model.name}: explores ${JSON.stringify(model.explores.map((e) => e.name))}`)
  }
  const orders = await client.lookmlModelExplore({ lookml_model_name: 'thelook', explore_name: 'orders' })
  const dimensions = orders.fields.dimensions.map((f) => f.name)
  console.log(`orders dimensions: ${JSON.stringify(dimensions)}`)

  const csv = await client.runInlineQuery({
    result_format: 'csv',
    body: { model: 'thelook', view: 'orders', fields: dimensions, limit: '10' },
  })
  process.stdout.write(`inline query as CSV:\n${csv}`)

  const plan = await client.scheduledPlanRunOnce({
    body: {
      name: 'revenue for the release notes',
      dashboard_id: '7',
      scheduled_plan_destination: [{ type: 'email', address: 'data-team@example.com', format: 'csv_zip' }],
    },
  })
  console.log(`scheduled plan run once: id ${plan.id}`)

  const etl = (await client.allDatagroups()).find((d) => d.name === 'orders_etl')
  const triggered = await client.updateDatagroup({
    datagroup_id: etl.id,
    body: { stale_before: Math.floor(Date.now() / 1000) },
  })
  console.log(`datagroup ${triggered.name} triggered (stale before ${triggered.stale_before})`)
} finally {
  await client.close()
  fake.stop()
}
