'use strict'

/** Marker the native addon puts before an error's JSON details. */
const MARKER = 'LOOKER_CI_ERROR:'

/** Core field names (snake_case) and the names they get on a JS error. */
const FIELDS = {
  status: 'status',
  method: 'method',
  path: 'path',
  api_message: 'apiMessage',
  documentation_url: 'documentationUrl',
  request_id: 'requestId',
  field_errors: 'fieldErrors',
  setting: 'setting',
  origin: 'origin',
  argument: 'argument',
  provider: 'provider',
  timeout_secs: 'timeoutSecs',
  hint: 'hint',
  location: 'location',
}

/**
 * Every error looker-ci throws. `code` is stable across Rust, Python and Node
 * (`LOOKER_CI_API`, `LOOKER_CI_CONFIG`, `LOOKER_CI_TIMEOUT`, ...). No field ever holds a secret.
 */
class LookerCIError extends Error {
  constructor(details) {
    const options = details.cause ? { cause: new Error(details.cause) } : undefined
    super(details.message, options)
    this.name = 'LookerCIError'
    this.code = details.code
    for (const [from, to] of Object.entries(FIELDS)) {
      if (details[from] !== undefined && details[from] !== null) this[to] = details[from]
    }
  }
}

/** Turn an error thrown by the native addon into a LookerCIError (others pass through). */
function fromNative(error) {
  if (error && typeof error.message === 'string' && error.message.startsWith(MARKER)) {
    return new LookerCIError(JSON.parse(error.message.slice(MARKER.length)))
  }
  return error
}

/** Run `fn` (sync or async) and convert what it throws. */
async function callAsync(fn) {
  try {
    return await fn()
  } catch (error) {
    throw fromNative(error)
  }
}

function callSync(fn) {
  try {
    return fn()
  } catch (error) {
    throw fromNative(error)
  }
}

module.exports = { LookerCIError, fromNative, callAsync, callSync }
