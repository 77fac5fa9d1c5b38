#!/usr/bin/env node
/**
 * The restore engine's commands on their own (`node dist/restore-runner/bin.js ...`), the same
 * as under `kintsugi`; used by the crash tests and the benchmark.
 */
import { Command, CommanderError } from 'commander';
import { EXIT } from '../cli/exit.js';
import { registerRestoreCommands } from './cli.js';

const program = new Command('kintsugi').description('Kintsugi snapshot and restore engine').exitOverride();
registerRestoreCommands(program);
try {
  await program.parseAsync(process.argv);
} catch (err: unknown) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  else {
    process.stderr.write(`kintsugi: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.FAILURE;
  }
}
