'use strict'

// The addon loader's choices and messages, for platforms this machine is not.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { PLATFORMS, loadAddon, platformKey, linuxLibc } = require('../lib/platforms')

/** A `require` that knows only `modules` (name -> exported value). */
function fakeRequire(modules) {
  return (name) => {
    if (!(name in modules)) throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' })
    return modules[name]
  }
}

test('platform keys name OS, CPU and, on Linux, the C library', () => {
  assert.equal(platformKey('linux', 'x64', 'glibc'), 'linux-x64-glibc')
  assert.equal(platformKey('linux', 'arm64', 'musl'), 'linux-arm64-musl')
  assert.equal(platformKey('darwin', 'arm64'), 'darwin-arm64')
  assert.equal(linuxLibc(() => ({ header: { glibcVersionRuntime: '2.36' } })), 'glibc')
  assert.equal(linuxLibc(() => ({ header: {} })), 'musl')
  assert.equal(PLATFORMS['win32-x64'], 'win32-x64-msvc')
})

test('the platform package of the same version is loaded', () => {
  const addon = { marker: true }
  const load = fakeRequire({
    'looker-ci-linux-arm64-musl/package.json': { version: '1.2.3' },
    'looker-ci-linux-arm64-musl': addon,
  })
  assert.equal(loadAddon({ key: 'linux-arm64-musl', version: '1.2.3', load }), addon)
})

test('an unsupported platform gets a typed error naming it and the from-source route', () => {
  assert.throws(
    () => loadAddon({ key: 'linux-riscv64-glibc', version: '1.2.3', load: fakeRequire({}) }),
    (error) => {
      assert.equal(error.code, 'LOOKER_CI_INSTALL')
      assert.match(error.message, /linux-riscv64-glibc/)
      assert.match(error.message, /LOOKER_CI_NODE_ADDON/)
      assert.match(error.message, /npm run build/)
      return true
    },
  )
})

test('a missing platform package says which one and how to get it', () => {
  assert.throws(
    () => loadAddon({ key: 'darwin-arm64', version: '1.2.3', load: fakeRequire({}) }),
    (error) => error.code === 'LOOKER_CI_INSTALL' && /looker-ci-darwin-arm64/.test(error.message) && /optional/.test(error.message),
  )
})

test('a platform package of another version is refused, naming both versions', () => {
  const load = fakeRequire({
    'looker-ci-linux-x64-gnu/package.json': { version: '1.2.2' },
    'looker-ci-linux-x64-gnu': {},
  })
  assert.throws(
    () => loadAddon({ key: 'linux-x64-glibc', version: '1.2.3', load }),
    (error) => error.code === 'LOOKER_CI_INSTALL' && /1\.2\.3/.test(error.message) && /1\.2\.2/.test(error.message),
  )
})

test('an explicit from-source addon path wins', () => {
  const addon = {}
  const load = fakeRequire({ '/src/looker-ci.node': addon })
  assert.equal(loadAddon({ key: 'linux-riscv64-glibc', version: '1', addonPath: '/src/looker-ci.node', load }), addon)
})
