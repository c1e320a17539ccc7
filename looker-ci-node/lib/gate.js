'use strict'

// The CI gate's JS side: camelCase options mapped onto the core's option names (an unknown key
// is refused with the closest valid name), and report rendering.

const native = require('./native')
const { LookerCIError, callSync } = require('./errors')
const { distance } = require('./options')

const OPTION_NAMES = {
  project: 'project',
  branch: 'branch',
  commit: 'commit',
  explores: 'explores',
  concurrency: 'concurrency',
  queryTimeout: 'query_timeout',
  failFast: 'fail_fast',
  skipHidden: 'skip_hidden',
  dimensionsOnly: 'dimensions_only',
  chunkSize: 'chunk_size',
  pollInterval: 'poll_interval',
  shard: 'shard',
  shardTimings: 'shard_timings',
  severity: 'severity',
  folders: 'folders',
  excludeFolders: 'exclude_folders',
  excludePersonal: 'exclude_personal',
  incremental: 'incremental',
  importRefs: 'import_refs',
  pathPrefix: 'path_prefix',
}

function invalidOption(key) {
  const names = Object.keys(OPTION_NAMES)
  const closest = names.reduce((best, name) => (distance(key, name) < distance(key, best) ? name : best))
  const hint = distance(key, closest) <= 3 ? ` (did you mean \`${closest}\`?)` : ''
  return new LookerCIError({
    code: 'LOOKER_CI_INVALID_ARGUMENT',
    argument: key,
    message: `invalid argument \`${key}\`: not a validate() option${hint}; options: ${names.join(', ')}`,
  })
}

/** The options object in the core's names; `undefined` and `null` values are left out. */
function coreOptions(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new LookerCIError({
      code: 'LOOKER_CI_INVALID_ARGUMENT',
      argument: 'options',
      message: 'invalid argument `options`: pass an object such as { project: "thelook" }',
    })
  }
  const mapped = {}
  for (const [key, value] of Object.entries(options)) {
    const name = OPTION_NAMES[key]
    if (name === undefined) throw invalidOption(key)
    if (value !== undefined && value !== null) mapped[name] = value
  }
  return mapped
}

/**
 * Render a validation result as `json`, `junit`, `codequality`, `github`, `markdown` or `text`
 * (the same renderings as the `looker-ci` command writes).
 */
function renderReport(result, format) {
  return callSync(() => native.renderReport(JSON.stringify(result), format))
}

module.exports = { coreOptions, renderReport }
