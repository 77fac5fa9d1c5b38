/** `kintsugi dashboards build --out DIR`: Grafana dashboards and provisioning files (dashboards/README.md). */
import { Command } from 'commander';
import { DEFAULT_DASHBOARDS_PATH } from '../dashboards/datasources.js';
import { EXIT } from './exit.js';

export function registerDashboardsCommand(program: Command): void {
  const dashboards = program.command('dashboards').description('Grafana dashboards as code (dashboards/README.md)');

  dashboards
    .command('build')
    .description('Write the dashboard JSON files and the Grafana provisioning YAML (data sources, file provider) into a folder')
    .requiredOption('--out <dir>', 'output folder (created when missing; files in it are replaced)')
    .option('--dashboards-path <path>', 'where Grafana will read the dashboard JSON files (the file provider path)', DEFAULT_DASHBOARDS_PATH)
    .addHelpText(
      'after',
      [
        '',
        'Writes:',
        '  DIR/dashboards/*.json                      the dashboards (stable uids)',
        '  DIR/provisioning/datasources/kintsugi.yaml  Elasticsearch and Prometheus data sources',
        '  DIR/provisioning/dashboards/kintsugi.yaml   a file provider on --dashboards-path',
        'Grafana reads KINTSUGI_ELASTICSEARCH_URL and KINTSUGI_PROMETHEUS_URL from its environment.',
        '',
        'Exit status: 0 written, 1 a file cannot be written, 2 a wrong command line.',
      ].join('\n'),
    )
    .action(async (opts: { out: string; dashboardsPath: string }) => {
      try {
        // The Grafana SDK is loaded by this command only.
        const { writeFiles } = await import('../dashboards/build.js');
        const written = writeFiles(opts.out, { dashboardsPath: opts.dashboardsPath });
        for (const file of written) process.stdout.write(`${file}\n`);
        process.stderr.write(`${written.length} files written to ${opts.out}\n`);
      } catch (err: unknown) {
        process.stderr.write(`kintsugi dashboards: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = EXIT.FAILURE;
      }
    });
}
