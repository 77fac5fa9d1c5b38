/** `kintsugi rules check FILE...` and `kintsugi rules list [FILE...]`: the detection rules. */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { defaultRulesPath, loadDefaultRules } from '../pipeline/rules/defaults.js';
import { RulesError } from '../pipeline/rules/errors.js';
import { loadRules, mergeRules } from '../pipeline/rules/load.js';
import type { Rule } from '../pipeline/rules/rule.js';
import { EXIT } from './exit.js';

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

function describeRule(r: Rule): string {
  const what =
    r.type === 'threshold'
      ? `${r.distinct !== null ? `${r.threshold}+ distinct ${r.distinct.field}` : `${r.threshold}+ events`} within ${r.window}`
      : r.type === 'absence'
        ? `no match for ${r.window}`
        : `first not followed by then within ${r.window}`;
  return `${r.id.padEnd(28)}  ${r.type.padEnd(9)}  ${r.severity.padEnd(8)}  per ${r.groupBy.join('+').padEnd(22)}  ${what}`;
}

/** Problems one per line, then exit 2 for an invalid file, 1 for one that cannot be read. */
function report(err: unknown): void {
  if (err instanceof RulesError) {
    process.stderr.write(`kintsugi rules: ${err.file}: ${err.code === 'PIP_ERR_RULES_INVALID' ? `${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}` : err.code}\n`);
    for (const p of err.problems) process.stderr.write(`  ${p}\n`);
    process.exitCode = err.code === 'PIP_ERR_RULES_READ' ? EXIT.FAILURE : EXIT.USAGE;
    return;
  }
  process.stderr.write(`kintsugi rules: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = EXIT.FAILURE;
}

export function registerRulesCommand(program: Command): void {
  const rules = program.command('rules').description('Check and list detection rules (format: pipeline/rules/README.md)');

  rules
    .command('check')
    .description('Validate rules files; every problem names the file and the key')
    .argument('<files...>', 'rules files (YAML)')
    .addHelpText('after', '\nExit status: 0 valid, 1 a file cannot be read, 2 a file is invalid.')
    .action((files: string[]) => {
      const sets: (readonly Rule[])[] = [];
      let failed = false;
      for (const file of files) {
        try {
          const set = loadRules(file);
          // The defaults file itself is checked like any other, not against itself.
          if (resolve(file) !== defaultRulesPath()) sets.push(set);
          write(`${file}: ${set.length} rule${set.length === 1 ? '' : 's'} valid (${set.map((r) => r.id).join(', ')})`);
        } catch (err: unknown) {
          report(err);
          failed = true;
        }
      }
      if (failed) return;
      try {
        mergeRules([loadDefaultRules(), ...sets]);
      } catch (err: unknown) {
        // An id that repeats a default rule's is refused when the service loads both.
        report(err);
      }
    });

  rules
    .command('list')
    .description('The rules in effect: the shipped defaults, and those of the given files')
    .argument('[files...]', 'rules files (YAML) added to the defaults')
    .action((files: string[]) => {
      try {
        const all = mergeRules([loadDefaultRules(), ...files.map((f) => loadRules(f))]);
        write(`${'id'.padEnd(28)}  ${'type'.padEnd(9)}  ${'severity'.padEnd(8)}  ${'group'.padEnd(26)}  condition`);
        for (const r of all) write(describeRule(r));
        process.stderr.write(`${all.length} rules (defaults: ${defaultRulesPath()})\n`);
      } catch (err: unknown) {
        report(err);
      }
    });
}
