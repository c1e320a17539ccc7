'use strict'
// Tests that need a peer the test command starts (moto, the OpenID provider, Prism) are declared
// with `peerTest`: the peer is in the test's name, and when its variable is missing the test
// fails inside the test command (scripts/test-all and scripts/test-node set
// LOOKER_CI_TEST_COMMAND) but is skipped, with that reason, when run alone.
const assert = require('node:assert/strict')
const test = require('node:test')

const PEERS = { moto: 'LOOKER_CI_TEST_MOTO', oidc: 'LOOKER_CI_TEST_OIDC', prism: 'LOOKER_CI_TEST_PRISM' }

/** Why a test cannot run, or null when `peer` is there. */
function missing(peer, env = process.env) {
  const variable = PEERS[peer]
  if (!variable) throw new Error(`unknown peer ${peer}`)
  return env[variable] ? null : `needs the ${peer} peer (${variable}), which scripts/test-node starts`
}

/** `test(title, fn)` for a test that needs `peer`; `fn` gets the test context. */
function peerTest(peer, title, fn, env = process.env) {
  const label = `${title} [peer: ${peer}]`
  const reason = missing(peer, env)
  if (reason === null) return test(label, fn)
  if (env.LOOKER_CI_TEST_COMMAND) return test(label, () => assert.fail(reason))
  return test(label, { skip: reason }, () => {})
}

module.exports = { PEERS, missing, peerTest }
