'use strict'

// Checks of the options objects the JS side hands to the native addon: an unknown key is refused
// with the closest valid name (a misspelt option, or a snake_case one, must not be ignored), and
// a value of the wrong type is refused naming the option, both as `LookerCIError`s with code
// `LOOKER_CI_INVALID_ARGUMENT` rather than napi's bare conversion errors.

const { LookerCIError } = require('./errors')

/** Levenshtein distance, for "did you mean" on a misspelt option. */
function distance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const kept = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = kept
    }
  }
  return row[b.length]
}

/** `base_url` -> `baseUrl`. */
function camelCase(key) {
  return key.replace(/_([a-z0-9])/gi, (_, c) => c.toUpperCase())
}

/** ` (did you mean \`x\`?)` for the valid name closest to `key`, or '' when none is close. */
function suggestion(key, names) {
  const camel = camelCase(key)
  if (camel !== key && names.includes(camel)) return ` (did you mean \`${camel}\`?)`
  const lower = key.toLowerCase()
  const closest = names.reduce((best, name) =>
    distance(lower, name.toLowerCase()) < distance(lower, best.toLowerCase()) ? name : best,
  )
  return distance(lower, closest.toLowerCase()) <= 3 ? ` (did you mean \`${closest}\`?)` : ''
}

function invalid(argument, message) {
  return new LookerCIError({
    code: 'LOOKER_CI_INVALID_ARGUMENT',
    argument,
    message: `invalid argument \`${argument}\`: ${message}`,
  })
}

/** The type of a value in words, for messages (never the value: it may be a secret). */
function typeName(value) {
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}`
}

const CHECKS = {
  string: [(v) => typeof v === 'string', 'a string'],
  boolean: [(v) => typeof v === 'boolean', 'a boolean (true or false)'],
  number: [(v) => typeof v === 'number', 'a number of seconds'],
  function: [(v) => typeof v === 'function', 'a function returning { clientId, clientSecret }'],
  env: [(v) => typeof v === 'object' && !Array.isArray(v), 'an object of variable names to strings'],
}

/**
 * Check `options` against `schema` ({ name: 'string' | 'boolean' | 'number' | 'function' | 'env' })
 * and return it; `what` names the call in messages (`new LookerClient()`). `undefined` and
 * `null` values count as not given.
 */
function checkOptions(options, schema, what) {
  if (options === undefined || options === null) return {}
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalid('options', `${what} takes an object of options, got ${typeName(options)}`)
  }
  const names = Object.keys(schema)
  for (const [key, value] of Object.entries(options)) {
    const kind = schema[key]
    if (kind === undefined) {
      throw invalid(key, `not an option of ${what}${suggestion(key, names)}; options: ${names.join(', ')}`)
    }
    if (value === undefined || value === null) continue
    const [ok, expected] = CHECKS[kind]
    if (!ok(value)) throw invalid(key, `expected ${expected}, got ${typeName(value)}`)
    if (kind === 'env') {
      for (const [name, text] of Object.entries(value)) {
        if (typeof text !== 'string') {
          throw invalid(key, `the value of \`${name}\` must be a string, got ${typeName(text)}`)
        }
      }
    }
  }
  return options
}

/** The options of `new LookerClient(options)`. */
const CLIENT_OPTIONS = {
  baseUrl: 'string',
  clientId: 'string',
  clientSecret: 'string',
  verifySsl: 'boolean',
  timeout: 'number',
  caBundle: 'string',
  httpsProxy: 'string',
  devWorkspace: 'boolean',
  configFile: 'string',
  section: 'string',
  readEnv: 'boolean',
  credentials: 'function',
  env: 'env',
  auditFile: 'string',
}

/** The options of `LookerClient.fromEnv(options)`. */
const FROM_ENV_OPTIONS = {
  configFile: 'string',
  section: 'string',
  env: 'env',
}

/**
 * napi's own conversion errors (`NumberExpected`, `StringExpected`, `InvalidArg`...), should one
 * get past the checks above, as a LookerCIError naming the call.
 */
function fromConversionError(error, what) {
  if (error instanceof LookerCIError || !error || typeof error.code !== 'string') return error
  if (!/Expected$|^InvalidArg$/.test(error.code)) return error
  return invalid('options', `${what}: ${error.message}`)
}

/**
 * A user id as the core takes it: a string, or a non-negative integer; anything else
 * (undefined, a fraction, an object) is refused rather than turned into text.
 */
function userIdOf(value, what) {
  if (typeof value === 'string' && value.trim() !== '') return value
  if (Number.isSafeInteger(value) && value >= 0) return String(value)
  if (typeof value === 'bigint' && value >= 0n) return String(value)
  throw invalid('userId', `${what} expects a user id (a string or a non-negative integer), got ${typeName(value)}`)
}

module.exports = {
  CLIENT_OPTIONS,
  FROM_ENV_OPTIONS,
  checkOptions,
  distance,
  fromConversionError,
  invalid,
  suggestion,
  typeName,
  userIdOf,
}
