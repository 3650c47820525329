'use strict';
// Finds the refreshproof executable of this platform. The binary comes in a
// per-platform package (@refreshproof/linux-x64, ...) that npm installs as
// an optional dependency only where its os and cpu fields match, so an
// install downloads one binary and runs no install script.

const path = require('path');

const scope = '@refreshproof';

function platformPackage(platform = process.platform, arch = process.arch) {
  return `${scope}/${platform}-${arch}`;
}

function supported() {
  const deps = require('../package.json').optionalDependencies || {};
  return Object.keys(deps).filter((n) => n.startsWith(scope + '/')).map((n) => n.slice(scope.length + 1));
}

// binaryPath returns the executable to run: $REFRESHPROOF_BINARY when set
// (a local build, or a platform without a prebuilt package), else the one
// in this platform's package. It throws an Error that says what to do.
function binaryPath() {
  const override = process.env.REFRESHPROOF_BINARY;
  if (override) return path.resolve(override);
  const pkg = platformPackage();
  const known = supported();
  if (!known.includes(`${process.platform}-${process.arch}`)) {
    throw new Error(
      `no prebuilt refreshproof binary for ${process.platform}-${process.arch} (prebuilt: ${known.join(', ') || 'none'}); ` +
        'build one with `go install github.com/refreshproof/refreshproof/cmd/refreshproof@VERSION` and set REFRESHPROOF_BINARY to its path'
    );
  }
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch (err) {
    throw new Error(
      `the package ${pkg}, which holds the refreshproof binary for this platform, is not installed; ` +
        'it is an optional dependency of refreshproof: install again without --no-optional or --omit=optional ' +
        '(and, with a lock file made on another platform, run `npm install` once so npm records it)'
    );
  }
  return path.join(dir, 'bin', process.platform === 'win32' ? 'refreshproof.exe' : 'refreshproof');
}

module.exports = { binaryPath, platformPackage };
