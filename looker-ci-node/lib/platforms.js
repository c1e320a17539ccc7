'use strict'

// Which prebuilt native addon fits this machine. The `looker-ci` package carries no binary: each
// supported platform has a package holding only its `.node` file (the napi-rs layout), listed in
// `optionalDependencies` so that npm installs just the one whose `os`/`cpu`/`libc` match.
// Kept free of side effects so the tests can ask it about any platform.

/** Every platform with a prebuilt addon: key -> npm package suffix (and `.node` file suffix). */
const PLATFORMS = {
  'linux-x64-glibc': 'linux-x64-gnu',
  'linux-arm64-glibc': 'linux-arm64-gnu',
  'linux-x64-musl': 'linux-x64-musl',
  'linux-arm64-musl': 'linux-arm64-musl',
  'darwin-x64': 'darwin-x64',
  'darwin-arm64': 'darwin-arm64',
  'win32-x64': 'win32-x64-msvc',
}

/** Environment variable naming a `.node` file built from source; it wins over any package. */
const ADDON_PATH_VARIABLE = 'LOOKER_CI_NODE_ADDON'

const FROM_SOURCE =
  'To build it from source (needs a Rust toolchain): clone the looker-ci repository, run ' +
  '`npm ci && npm run build` in looker-ci-node, and set ' +
  `${ADDON_PATH_VARIABLE}=/path/to/looker-ci-node/looker-ci.node.`

/** The C library of a Linux process: glibc, or musl (Alpine) when Node reports no glibc. */
function linuxLibc(report = () => process.report.getReport()) {
  try {
    return report().header.glibcVersionRuntime ? 'glibc' : 'musl'
  } catch {
    return 'glibc'
  }
}

/** The platform key of this process, e.g. `linux-x64-glibc` or `darwin-arm64`. */
function platformKey(platform = process.platform, arch = process.arch, libc = undefined) {
  if (platform !== 'linux') return `${platform}-${arch}`
  return `${platform}-${arch}-${libc ?? linuxLibc()}`
}

/** An install problem: a stable `code` and a message that says what to do. */
function installError(message) {
  const error = new Error(message)
  error.name = 'LookerCIError'
  error.code = 'LOOKER_CI_INSTALL'
  return error
}

/**
 * Load the addon for `key`: `addonPath` when given, else the platform package, whose version must
 * be `version` (the JS package's). `load` is `require`, injectable for the tests.
 */
function loadAddon({ key, version, addonPath, load }) {
  if (addonPath) return load(addonPath)
  const suffix = PLATFORMS[key]
  if (!suffix) {
    throw installError(
      `looker-ci has no prebuilt native addon for this platform (${key}). Prebuilt: ` +
        `${Object.keys(PLATFORMS).join(', ')}. ${FROM_SOURCE}`,
    )
  }
  const name = `looker-ci-${suffix}`
  let manifest
  try {
    manifest = load(`${name}/package.json`)
  } catch {
    throw installError(
      `looker-ci's native addon for ${key} (the npm package ${name}) is not installed. ` +
        'Reinstall looker-ci without --no-optional / --omit=optional (npm installs the one ' +
        `package of your platform). ${FROM_SOURCE}`,
    )
  }
  if (manifest.version !== version) {
    throw installError(
      `looker-ci ${version} needs ${name} ${version}, but ${name} ${manifest.version} is ` +
        `installed. Install matching versions: npm install looker-ci@${version} ${name}@${version}.`,
    )
  }
  return load(name)
}

module.exports = { PLATFORMS, ADDON_PATH_VARIABLE, platformKey, linuxLibc, loadAddon }
