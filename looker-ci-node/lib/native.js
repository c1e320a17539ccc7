'use strict'
// The native addon: a from-source build named by LOOKER_CI_NODE_ADDON, a from-source build in
// this package's folder (`npm run build`, for contributors), else the prebuilt platform package.
const fs = require('node:fs')
const path = require('node:path')
const { ADDON_PATH_VARIABLE, loadAddon, platformKey } = require('./platforms')

const localBuild = path.join(__dirname, '..', 'looker-ci.node')
const addonPath =
  process.env[ADDON_PATH_VARIABLE] || (fs.existsSync(localBuild) ? localBuild : undefined)

module.exports = loadAddon({
  key: platformKey(),
  version: require('../package.json').version,
  addonPath,
  load: require,
})
