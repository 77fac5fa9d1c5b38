/**
 * `kintsugi tokens create|list|revoke`: the API tokens of a data folder (pipeline/access/). Works
 * on the tokens file directly, so it also works while `kintsugi serve` runs (which reads the file
 * again when it changes): whoever may write the data folder may manage its tokens.
 */
import { Command, Option } from 'commander';
import { tokensFileOf } from '../pipeline/access/from-config.js';
import { ROLES, type Role } from '../pipeline/access/roles.js';
import type { TokenFile } from '../pipeline/access/token-store.js';
import { loadConfig } from '../pipeline/config/load.js';
import type { Config } from '../pipeline/config/schema.js';
import { resolveDataDir } from '../pipeline/env.js';
import { PipelineError } from '../pipeline/errors.js';
import { EXIT } from './exit.js';

interface FileOptions {
  readonly data?: string;
  readonly config?: string;
}

function withFile(command: string, opts: FileOptions, work: (file: TokenFile) => void): void {
  let config: Config | undefined;
  try {
    if (opts.config !== undefined) config = loadConfig(opts.config);
  } catch (err: unknown) {
    process.stderr.write(`kintsugi tokens ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof PipelineError && err.code !== 'PIP_ERR_CONFIG_READ' ? EXIT.USAGE : EXIT.FAILURE;
    return;
  }
  try {
    work(tokensFileOf(config?.access, resolveDataDir(opts.data, config?.data)));
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`kintsugi tokens ${command}: ${message}\n`);
    process.exitCode = /ACC_ERR_BAD_TOKEN_NAME/.test(message) ? EXIT.USAGE : EXIT.FAILURE;
  }
}

function fileOptions(c: Command): Command {
  return c
    .option('--data <dir>', 'data folder whose tokens.json is used (default ./data, or KINTSUGI_DATA)')
    .option('--config <file>', 'configuration file: its data folder and access.tokensFile');
}

export function registerTokensCommand(program: Command): void {
  const tokens = program.command('tokens').description('API tokens: create, list, revoke (stored hashed in <data>/tokens.json)');
  fileOptions(
    tokens
      .command('create')
      .description('Make a token and print it once (only its hash is stored)')
      .requiredOption('--name <name>', 'who or what uses it (letters, digits, . - _)')
      .addOption(new Option('--role <role>', 'viewer < operator < approver < admin').choices([...ROLES]).makeOptionMandatory()),
  )
    .addHelpText('after', '\nPrints the token on stdout; send it as "Authorization: Bearer <token>".\nExit status: 0 made, 1 tokens file unusable, 2 bad usage.')
    .action((opts: FileOptions & { name: string; role: Role }) =>
      withFile('create', opts, (file) => {
        const { token, entry } = file.create(opts.name, opts.role);
        process.stdout.write(`${token}\n`);
        process.stderr.write(`token ${entry.id} (${entry.name}, ${entry.role}) stored in ${file.path}; it is not shown again\n`);
      }),
    );
  fileOptions(tokens.command('list').description('The tokens (never their secrets), revoked ones included'))
    .addOption(new Option('--format <format>', 'table or ndjson').choices(['table', 'ndjson']).default('table'))
    .addHelpText('after', '\nExit status: 0 listed, 1 tokens file unusable, 2 bad usage.')
    .action((opts: FileOptions & { format: 'table' | 'ndjson' }) =>
      withFile('list', opts, (file) => {
        const entries = file.entries();
        if (opts.format === 'ndjson') {
          for (const { hash: _hash, ...e } of entries) process.stdout.write(`${JSON.stringify(e)}\n`);
          return;
        }
        process.stdout.write(`${['id'.padEnd(12), 'role'.padEnd(8), 'name'.padEnd(24), 'created'.padEnd(24), 'revoked'].join('  ')}\n`);
        for (const e of entries) process.stdout.write(`${[e.id, e.role.padEnd(8), e.name.padEnd(24), e.created.padEnd(24), e.revoked ?? '-'].join('  ')}\n`);
      }),
    );
  fileOptions(tokens.command('revoke').description('Revoke a token at once (kept in the list as revoked)').argument('<id>', 'the id that tokens list shows'))
    .addHelpText('after', '\nA running service refuses the token from its next request.\nExit status: 0 revoked (or already), 1 no such token or tokens file unusable, 2 bad usage.')
    .action((id: string, opts: FileOptions) =>
      withFile('revoke', opts, (file) => {
        const e = file.revoke(id);
        process.stderr.write(`token ${e.id} (${e.name}) revoked at ${e.revoked ?? ''}\n`);
      }),
    );
}
