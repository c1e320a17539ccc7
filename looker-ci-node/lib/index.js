'use strict'

const { AsyncLocalStorage } = require('node:async_hooks')
const { inspect } = require('node:util')
const native = require('./native')
const { LookerCIError, callAsync, callSync } = require('./errors')
const { installOperations } = require('./operations')
const { coreOptions, renderReport } = require('./gate')
const {
  CLIENT_OPTIONS,
  FROM_ENV_OPTIONS,
  checkOptions,
  fromConversionError,
  invalid,
  typeName,
  userIdOf,
} = require('./options')

const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')
/**
 * The `{ clientId, clientSecret }` a credentials function resolved to, checked here so that a
 * wrong shape is reported by field and type: the addon's own conversion error would quote the
 * value, which may be the secret.
 */
function apiKeyOf(key) {
  const problem = (field, value) =>
    new LookerCIError({
      code: 'LOOKER_CI_CREDENTIALS',
      message:
        'the credentials function must resolve to { clientId: string, clientSecret: string }; ' +
        `${field} was ${value === undefined ? 'missing' : value === '' ? 'empty' : typeName(value)}`,
    })
  if (key === null || typeof key !== 'object' || Array.isArray(key)) throw problem('the result', key)
  for (const field of ['clientId', 'clientSecret']) {
    if (typeof key[field] !== 'string' || key[field] === '') throw problem(field, key[field])
  }
  return { clientId: key.clientId, clientSecret: key.clientSecret }
}

/** Ids of `validate()` runs that an AbortSignal can cancel (`native.cancelValidation`). */
let nextCancelId = 1

/** `options.signal` apart from the validator options; anything but an AbortSignal is refused. */
function splitSignal(options) {
  if (options === null || typeof options !== 'object' || !('signal' in options)) {
    return { signal: undefined, rest: options }
  }
  const { signal, ...rest } = options
  if (signal === undefined || signal === null) return { signal: undefined, rest }
  if (!(signal instanceof AbortSignal)) {
    throw invalid('signal', `must be an AbortSignal (e.g. AbortSignal.timeout(ms)): got ${typeName(signal)}`)
  }
  return { signal, rest }
}

/** The rejection of a cancelled validation: code LOOKER_CI_CANCELLED, the signal's reason as cause. */
function cancelled(signal, message) {
  const error = new LookerCIError({ code: 'LOOKER_CI_CANCELLED', message })
  if (signal.reason !== undefined) {
    Object.defineProperty(error, 'cause', { value: signal.reason, configurable: true, writable: true })
  }
  return error
}

/** Which client's credentials function is running (see `LookerClient.#live`). */
const providerScope = new AsyncLocalStorage()

/**
 * Parse JSON text; a parse error names `what` (and the request's `method` and `path` when
 * given) and never quotes the text (it may hold data).
 */
function parseReply(what, text, method, path) {
  try {
    return JSON.parse(text)
  } catch {
    throw new LookerCIError({
      code: 'LOOKER_CI_DECODE',
      message: `${what}: could not decode the reply: it is not valid JSON`,
      method,
      path,
    })
  }
}

/** A native reply as the caller gets it: JSON parsed in JS (one string, one `JSON.parse`). */
function replyValue(reply) {
  switch (reply.kind) {
    case 'json':
      return parseReply(`${reply.method} ${reply.path}`, reply.json, reply.method, reply.path)
    case 'text':
      return reply.text
    default:
      return reply.data
  }
}

/**
 * A Looker API 4.0 client with a self-refreshing session. Cheap to share: concurrent calls share
 * one login. `clientSecret` lives only in the native core and is never printed.
 */
class LookerClient {
  #native
  /** Marks this client's login chain; set while its own credentials function runs. */
  #owner

  /**
   * An unknown option or a value of the wrong type throws a LookerCIError with code
   * `LOOKER_CI_INVALID_ARGUMENT` (`base_url` suggests `baseUrl`).
   * @param {import('./index').ClientOptions} [options]
   */
  constructor(options = {}, nativeClient = undefined, owner = undefined) {
    if (nativeClient !== undefined) {
      this.#native = nativeClient
      this.#owner = owner ?? {}
      return
    }
    const what = 'new LookerClient()'
    const { credentials, ...settings } = checkOptions(options, CLIENT_OPTIONS, what)
    this.#owner = {}
    const marker = this.#owner
    // Always hand the core a Promise-returning function, whatever the caller's returns; it runs
    // marked, so a call of this client from inside it fails instead of waiting for itself.
    const provider =
      credentials && (async () => apiKeyOf(await providerScope.run(marker, () => credentials())))
    this.#native = callSync(() => {
      try {
        return native.NativeClient.fromOptions(settings, provider)
      } catch (error) {
        throw fromConversionError(error, what)
      }
    })
  }

  /**
   * Settings from `./looker.ini` (or `configFile`) and `LOOKERSDK_*` variables; credentials from
   * the default chain (API key in settings, else CI OIDC token -> AWS STS -> Secrets Manager).
   */
  static async fromEnv(options = {}) {
    const what = 'LookerClient.fromEnv()'
    const { configFile, section, env } = checkOptions(options, FROM_ENV_OPTIONS, what)
    const handle = callSync(() => {
      try {
        return native.NativeClient.fromEnv(configFile ?? null, section ?? null, env ?? null)
      } catch (error) {
        throw fromConversionError(error, what)
      }
    })
    return new LookerClient({}, handle)
  }

  get baseUrl() {
    return this.#native.baseUrl
  }

  /**
   * The native client for a call, unless the call comes from this client's own credentials
   * function: the login waits for that function, which would wait for the login, forever.
   */
  #live() {
    if (providerScope.getStore() === this.#owner) {
      throw new LookerCIError({
        code: 'LOOKER_CI_CREDENTIALS',
        message:
          'credential provider failed: the credentials function called its own client, whose login is waiting ' +
          'for that function; fetch the key without this client (another client, or no Looker call)',
      })
    }
    return this.#native
  }

  /** The generic call path behind the generated operation methods (see operations.d.ts). */
  async _call(operationId, params) {
    if (params !== undefined && params !== null && (typeof params !== 'object' || Array.isArray(params))) {
      throw invalid('params', `${operationId} takes an object of parameters, got ${typeName(params)}`)
    }
    return replyValue(await callAsync(() => this.#live().call(operationId, params ?? {})))
  }

  /**
   * The current user (`GET /user`, operation `me`), as the generated methods are called:
   * `me()` or `me({ fields: 'id,display_name' })`. Resolves to a `User`.
   */
  me(params = {}) {
    return this._call('me', params)
  }

  /**
   * Call any API path: `request('GET', '/lookml_models', { query: { fields: 'name' } })`.
   * Resolves to decoded JSON (parsed as the generated methods' replies are), or a Buffer with
   * `raw: true`.
   */
  async request(method, path, options = {}) {
    for (const [name, value] of [['method', method], ['path', path]]) {
      if (typeof value !== 'string') throw invalid(name, `request() expects a string, got ${typeName(value)}`)
    }
    const { query, body, raw } = options ?? {}
    // The body crosses as JSON text, as in Python: no conversion of its values one by one.
    let bodyJson = null
    if (body !== undefined && body !== null) {
      try {
        bodyJson = JSON.stringify(body)
      } catch (error) {
        throw invalid('body', `cannot be encoded as JSON: ${error.message}`)
      }
      if (bodyJson === undefined) throw invalid('body', `cannot be encoded as JSON: got ${typeName(body)}`)
    }
    return replyValue(
      await callAsync(() => this.#live().request(method, path, query ?? null, bodyJson, raw === true)),
    )
  }

  /**
   * Run a validator of the CI gate (`'lookml'`, `'sql'`, `'assert'`, `'content'`) with the
   * options of docs/ci.md, e.g. `validate('sql', { project: 'thelook', commit: sha })`. Resolves
   * to the result document; render it with `renderReport`. A commit is checked out on a
   * temporary branch that is removed afterwards. `options.signal` (an AbortSignal) cancels the
   * run: running queries are cancelled in Looker, the branch restored, the temporary branch
   * removed, and the promise rejects with a `LookerCIError` of code `LOOKER_CI_CANCELLED`.
   */
  async validate(validator, options) {
    const { signal, rest } = splitSignal(options)
    const mapped = coreOptions(rest)
    if (signal === undefined) {
      const text = await callAsync(() => this.#live().validate(String(validator), mapped, null))
      return parseReply('validate', text)
    }
    if (signal.aborted) throw cancelled(signal, 'the validation was cancelled before it started')
    const id = nextCancelId
    nextCancelId = nextCancelId >= 0xffffffff ? 1 : nextCancelId + 1
    const onAbort = () => native.cancelValidation(id)
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      const text = await callAsync(() => this.#live().validate(String(validator), mapped, id))
      return parseReply('validate', text)
    } catch (error) {
      // The signal's reason (an AbortError by default) is kept as the cause, as fetch() does.
      if (error instanceof LookerCIError && error.code === 'LOOKER_CI_CANCELLED' && signal.aborted) {
        throw cancelled(signal, error.message)
      }
      throw error
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  /** Deploy the head of `branch`, or `commit`, of `project` to production. */
  deploy({ project, branch, commit } = {}) {
    return callAsync(() => this.#live().deploy(String(project ?? ''), branch ?? null, commit ?? null))
  }

  /** Run scheduled plan `planId` once now; resolves to the plan Looker ran. */
  runSchedule(planId) {
    return callAsync(() => this.#live().runSchedule(String(planId)))
  }

  /** Mark `datagroup` of `model` stale now so Looker rebuilds what depends on it. */
  triggerDatagroup(model, datagroup) {
    return callAsync(() => this.#live().triggerDatagroup(String(model), String(datagroup)))
  }

  /** A client acting as another user (sudo). Close it when done. */
  loginUser(userId) {
    const id = userIdOf(userId, 'loginUser()')
    return new LookerClient({}, callSync(() => this.#native.loginUser(id)), this.#owner)
  }

  /** Which credential source is used and why ({ source, detail, skipped, summary }); no secret. */
  describe() {
    return this.#native.describe()
  }

  /**
   * The identity behind the client as facts: `source`, `detail`, `skipped`, the CI token's
   * non-secret claims (`ci_token`), the `aws` role and STS session name, the `okta` client, and
   * `ci`, the CI run its requests name (in their User-Agent and the audit trail). No secret.
   */
  identity() {
    return callSync(() => this.#native.identity())
  }

  /**
   * Check the set-up as `looker-ci doctor` does: identity, stored secrets, the API user's
   * privileges against what `commands` need (default: lookml, sql, assert, content), lifetimes.
   * Resolves to the report (`passed`, `findings` with `area`, `level`, `code`, `message`, `fix`;
   * docs/security.md lists them).
   */
  doctor(commands) {
    return callAsync(() => this.#live().doctor(commands == null ? null : [...commands].map(String)))
  }

  /** Counts of logins, requests and re-authentications after a 401. */
  stats() {
    return this.#native.stats()
  }

  /** Log out; later calls reject with code `LOOKER_CI_CLOSED`. */
  close() {
    return callAsync(() => this.#native.close())
  }

  [asyncDispose]() {
    return this.close()
  }

  [inspect.custom]() {
    return `LookerClient { baseUrl: ${inspect(this.baseUrl)} }`
  }

  toJSON() {
    return { baseUrl: this.baseUrl }
  }
}

installOperations(LookerClient)

module.exports = {
  LookerClient,
  LookerCIError,
  renderReport,
  version: require('../package.json').version,
}
