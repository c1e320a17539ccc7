'use strict'

// Every field of every core error reaches `LookerCIError`: under its camelCase name (`FIELDS` in
// lib/errors.js), and declared on the class in lib/index.d.ts.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const native = require('../lib/native')
const { LookerCIError, fromNative } = require('../lib/errors')

const MARKER = 'LOOKER_CI_ERROR:'
const camel = (name) => name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase())

const typings = fs.readFileSync(path.join(__dirname, '..', 'lib', 'index.d.ts'), 'utf8')
const block = (start, end) => {
  const at = typings.indexOf(start)
  assert.ok(at >= 0, `index.d.ts has no ${start}`)
  return typings.slice(at, typings.indexOf(end, at))
}
const declaration = block('export declare class LookerCIError', '\n}')
const codes = block('export type LookerCIErrorCode', '\n\n')

const samples = native.errorSamples()

test('there is a sample of every error, each with its details', () => {
  assert.ok(samples.length >= 11, `${samples.length} samples`)
  for (const message of samples) assert.ok(message.startsWith(MARKER), message)
})

for (const message of samples) {
  const details = JSON.parse(message.slice(MARKER.length))
  test(`every field of ${details.code} reaches LookerCIError`, () => {
    const error = fromNative(new Error(message))
    assert.ok(error instanceof LookerCIError)
    assert.equal(error.code, details.code)
    assert.equal(error.message, details.message)
    assert.ok(codes.includes(`'${details.code}'`), `LookerCIErrorCode lacks ${details.code}`)
    for (const [field, value] of Object.entries(details)) {
      if (field === 'code' || field === 'message') continue
      if (field === 'cause') {
        assert.equal(error.cause.message, value)
        continue
      }
      const name = camel(field)
      assert.deepEqual(error[name], value, `${details.code}: \`${field}\` is not \`${name}\``)
      assert.match(declaration, new RegExp(`readonly ${name}\\?:`), `index.d.ts lacks ${name}`)
    }
  })
}
