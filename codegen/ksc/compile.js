#!/usr/bin/env node
// Compile .ksy specs with the official Kaitai Struct compiler (npm build, programmatic API only).
//
// usage: node compile.js <target> <outdir> <file.ksy>...
//
// Imports (`meta.imports`) are resolved relative to the folder of the first .ksy given (the spec
// folder), with a ".ksy" suffix. Every output file returned by the compiler is written to <outdir>.
// Every file is compiled; each failure prints "<file>: <compiler error>" to stderr and the exit
// status is 1 (2 for usage errors, 3 when the npm packages are not installed).
//
// The npm packages are looked up in $KSC_NODE_MODULES (a folder that contains node_modules/),
// else in <repo>/.cache/ksc (see README.md), else through node's normal resolution.
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

function loadModules() {
  const candidates = [];
  if (process.env.KSC_NODE_MODULES) candidates.push(process.env.KSC_NODE_MODULES);
  candidates.push(path.resolve(__dirname, '..', '..', '.cache', 'ksc'));
  for (const base of candidates) {
    try {
      const req = createRequire(path.join(base, 'package.json'));
      return { compiler: req('kaitai-struct-compiler'), yaml: req('js-yaml') };
    } catch (e) {
      // try the next location
    }
  }
  try {
    return { compiler: require('kaitai-struct-compiler'), yaml: require('js-yaml') };
  } catch (e) {
    process.stderr.write(
      'kaitai-struct-compiler / js-yaml not found; install them with\n' +
        '  mkdir -p .cache/ksc && cp codegen/ksc/package*.json .cache/ksc/ && ' +
        'npm ci --prefix .cache/ksc\n');
    process.exit(3);
  }
  return null;
}

function errorText(err) {
  if (err === null || err === undefined) return 'unknown error';
  if (typeof err === 'string') return err;
  if (err.message) return String(err.message);
  if (typeof err.toString === 'function') {
    const s = err.toString();
    if (s && s !== '[object Object]') return s;
  }
  try {
    return JSON.stringify(err);
  } catch (e) {
    return String(err);
  }
}

async function main(argv) {
  if (argv.length < 3) {
    process.stderr.write('usage: node compile.js <target> <outdir> <file.ksy>...\n');
    return 2;
  }
  const [target, outdir, ...files] = argv;
  const { compiler, yaml } = loadModules();
  const specDir = path.dirname(path.resolve(files[0]));
  const cache = new Map();

  function parseFile(file) {
    const full = path.resolve(file);
    if (!cache.has(full)) {
      cache.set(full, yaml.load(fs.readFileSync(full, 'utf8'), { filename: full }));
    }
    return cache.get(full);
  }

  const importer = {
    importYaml(name, mode) {
      // `name` is the import path without the .ksy suffix, relative to the spec folder.
      const file = path.join(specDir, name + '.ksy');
      return new Promise((resolve, reject) => {
        try {
          resolve(parseFile(file));
        } catch (e) {
          reject(new Error(`import "${name}" (${mode}): ${errorText(e)}`));
        }
      });
    },
  };

  fs.mkdirSync(outdir, { recursive: true });
  let failures = 0;
  for (const file of files) {
    let spec;
    try {
      spec = parseFile(file);
    } catch (e) {
      process.stderr.write(`${file}: YAML error: ${errorText(e)}\n`);
      failures += 1;
      continue;
    }
    let out;
    try {
      out = await compiler.compile(target, spec, importer, false);
    } catch (e) {
      process.stderr.write(`${file}: ksc ${compiler.version} (${target}) error: ${errorText(e)}\n`);
      failures += 1;
      continue;
    }
    for (const [name, source] of Object.entries(out)) {
      const dest = path.join(outdir, name);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, source);
    }
  }
  return failures === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`compile.js: ${errorText(e)}\n`);
    process.exit(1);
  });
