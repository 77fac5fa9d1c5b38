#!/usr/bin/env node
/**
 * The `kintsugi` command. Each part registers its own commands; this file only assembles them
 * and maps failures to the documented exit codes (see README.md, "Exit codes").
 */
import { Command, CommanderError } from 'commander';
import { registerParseCommand } from './parse.js';
import { EXIT } from './exit.js';

const program = new Command('kintsugi')
  .description('Recovery observability pipeline for 3.2 and 4.2 hosts')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerParseCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err: unknown) {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; everything else commander refuses is a usage error.
    process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  } else {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`kintsugi: ${message}\n`);
    process.exitCode = EXIT.FAILURE;
  }
}
