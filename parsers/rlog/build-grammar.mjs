#!/usr/bin/env node
// Compiles grammar.ne to grammar.gen.ts with nearley's own compiler (what `nearleyc` does), and
// marks the output as generated. `--check` exits 1 when the checked-in file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const nearley = require('nearley');
const compile = require('nearley/lib/compile.js');
const generate = require('nearley/lib/generate.js');
const bootstrapped = require('nearley/lib/nearley-language-bootstrapped.js');
const { version } = require('nearley/package.json');

const source = fileURLToPath(new URL('./grammar.ne', import.meta.url));
const target = fileURLToPath(new URL('./grammar.gen.ts', import.meta.url));

export function buildGrammar() {
  const parser = new nearley.Parser(nearley.Grammar.fromCompiled(bootstrapped));
  parser.feed(readFileSync(source, 'utf8'));
  parser.feed('\n');
  const compiled = compile(parser.results[0], { version, args: [source] });
  const ts = generate(compiled, 'grammar')
    // The grammar defines its token classes itself; nearley's `declare var`s would redeclare them.
    .split('\n')
    .filter((line) => !line.startsWith('declare var '))
    .join('\n');
  return `// @ts-nocheck: generated from grammar.ne by build-grammar.mjs (npm run grammar); do not edit\n${ts}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const output = buildGrammar();
  if (process.argv.includes('--check')) {
    if (readFileSync(target, 'utf8') !== output) {
      process.stderr.write('parsers/rlog/grammar.gen.ts is stale: run `npm run grammar` and commit it\n');
      process.exit(1);
    }
  } else {
    writeFileSync(target, output);
  }
}
