#!/usr/bin/env node
'use strict'

// `npx looker-ci`: the same Rust implementation as the Python wheel's `looker-ci` and
// `cargo install looker-ci`. It blocks this process until the command ends, then exits with its code.
const native = require('../lib/native')

process.exitCode = native.runCli(['looker-ci', ...process.argv.slice(2)])
