// A CI gate in Node: validate the LookML project, run its data tests, validate content, and deploy
// to production only if all three are clean. Against LOOKERSDK_* when set, else an embedded
// FakeLooker. Every call is a generated camelCase method taking the API's parameter names.
//
//   (cd looker-ci-node && npm install) && node examples/ci-workflow/ci_workflow.mjs
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { LookerClient } = require('../../looker-ci-node')
const { FakeLooker } = require('../../looker-ci-node/lib/testing')

const project = process.env.LOOKER_PROJECT ?? 'thelook'
const fake = process.env.LOOKERSDK_BASE_URL ? undefined : await FakeLooker.start()
const client = fake ? new LookerClient(fake.clientOptions()) : await LookerClient.fromEnv()

const { errors } = await client.validateProject({ project_id: project })
const failed = (await client.runLookmlTest({ project_id: project })).filter((t) => !t.success)
const { content_with_errors: broken } = await client.contentValidation()
console.log(`LookML errors: ${errors.length}, failed data tests: ${failed.length}, broken content: ${broken.length}`)
if (errors.length || failed.length || broken.length) {
  process.exitCode = 1
} else {
  await client.deployRefToProduction({ project_id: project, branch: 'main' })
  console.log('deployed main to production')
}
await client.close()
fake?.stop()
