#!/usr/bin/env node
/**
 * The `kintsugi` command. Each part registers its own commands; this file only assembles them
 * and maps failures to the documented exit codes (see README.md, "Exit codes").
 */
import { Command, CommanderError } from 'commander';
import { registerAlertsCommand } from './alerts.js';
import { registerDashboardsCommand } from './dashboards.js';
import { registerForwardCommand } from './forward.js';
import { registerIngestCommand } from './ingest.js';
import { registerParseCommand } from './parse.js';
import { registerQueryCommand } from './query.js';
import { registerRulesCommand } from './rules.js';
import { registerServeCommand } from './serve.js';
import { registerTokensCommand } from './tokens.js';
import { registerRestoreCommands } from '../restore-runner/cli.js';
import { registerRestoresCommand } from './restores.js';
import { registerDemoCommand } from './demo.js';
import { EXIT } from './exit.js';

// A reader that went away (`kintsugi query ... | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.OK);
  throw err;
});

const program = new Command('kintsugi')
  .description('Recovery observability pipeline for 3.2 and 4.2 hosts')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerParseCommand(program);
registerServeCommand(program);
registerForwardCommand(program);
registerIngestCommand(program);
registerQueryCommand(program);
registerRulesCommand(program);
registerAlertsCommand(program);
registerDashboardsCommand(program);
registerTokensCommand(program);
registerRestoreCommands(program);
registerRestoresCommand(program);
registerDemoCommand(program);

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
