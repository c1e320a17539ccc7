'use strict'
// The native addon, built into this package's folder by `npm install` (napi build).
module.exports = require('../looker-ci.node')
