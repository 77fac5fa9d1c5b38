/**
 * Fleet recovery health: what the recovery wizards of the fleet report (events index) and which
 * alerts are open (alerts index). Variables: host, OS line, instance, module.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { SPEC_ACTIONS } from './planned.js';
import { bargauge, heatmap, kintsugiDashboard, row, table, termsVariable, timeseries } from './panels.js';
import { bucket, byVariable, esQuery, metric, term } from './queries.js';

export const FLEET_UID = 'kintsugi-fleet-recovery-health';

/** The filter of the dashboard's variables; events without a module are not filtered by module. */
const HOST = [byVariable('host.name', 'host'), byVariable('recovery.os_line', 'os_line'), byVariable('recovery.instance', 'instance')];
const MODULE = byVariable('recovery.module', 'module');
const CORRUPT_CHECKS = [term('event.action', SPEC_ACTIONS.checkFile), 'recovery.status:(missing OR corrupt)'];

export function fleetRecoveryHealth(): Dashboard {
  return kintsugiDashboard(FLEET_UID, 'Kintsugi / Fleet recovery health', 'What the recovery wizards of the fleet report: events, failures, corrupt kernel modules, fallback sessions, open alerts.')
    .withVariable(termsVariable('host', 'Host', 'events', 'host.name'))
    .withVariable(termsVariable('os_line', 'OS line', 'events', 'recovery.os_line'))
    .withVariable(termsVariable('instance', 'Instance', 'events', 'recovery.instance'))
    .withVariable(termsVariable('module', 'Module', 'events', 'recovery.module'))
    .withRow(row(100, 'Events'))
    .withPanel(
      timeseries(
        {
          id: 1,
          title: 'Events by OS line and version',
          description: 'Normalized events stored, by recovery.os_line and host.os.version.',
          source: 'events',
          targets: [esQuery('events', { query: HOST, metrics: [metric.count()], buckets: [bucket.terms('recovery.os_line', '2', 5), bucket.terms('host.os.version', '3', 20), bucket.time('4')] })],
        },
        { stacked: true, bars: true },
      ),
    )
    .withPanel(
      timeseries(
        {
          id: 2,
          title: 'Failures over time',
          description: 'Events with event.outcome failure, by event.action.',
          source: 'events',
          targets: [esQuery('events', { query: [...HOST, term('event.outcome', 'failure')], metrics: [metric.count()], buckets: [bucket.terms('event.action', '2', 10), bucket.time('3')] })],
        },
        { stacked: true },
      ),
    )
    .withRow(row(101, 'Kernel modules'))
    .withPanel(
      heatmap({
        id: 3,
        title: 'Missing and corrupt checks by module',
        description: 'check.file events with recovery.status missing or corrupt, one row per recovery.module.',
        source: 'events',
        targets: [esQuery('events', { query: [...HOST, MODULE, ...CORRUPT_CHECKS], metrics: [metric.count()], buckets: [bucket.terms('recovery.module', '2', 30), bucket.time('3')] })],
      }),
    )
    .withPanel(
      table({
        id: 4,
        title: 'Hosts and modules with recurring corruption',
        description: 'recurring-module-corruption alerts (3 or more sessions with the module missing or corrupt within 30 days), by host, instance and module: alerts raised and the most sessions one counted.',
        source: 'alerts',
        targets: [
          esQuery('alerts', {
            query: [term('rule.id', 'recurring-module-corruption'), byVariable('host.name', 'host'), byVariable('recovery.instance', 'instance'), MODULE],
            metrics: [metric.count('1'), metric.max('recovery.alert.distinct_count', '2')],
            buckets: [bucket.terms('host.name', '3', 50), bucket.terms('recovery.instance', '4', 10), bucket.terms('recovery.module', '5', 20)],
          }),
        ],
      }),
    )
    .withPanel(
      bargauge({
        id: 5,
        title: 'Open alerts by rule',
        description: 'Alerts with recovery.alert.status open, by rule.id, fleet-wide: not filtered by the variables, since fleet rules (fleet-module-corruption) and absence rules have no single host.',
        source: 'alerts',
        targets: [esQuery('alerts', { query: [term('recovery.alert.status', 'open')], metrics: [metric.count()], buckets: [bucket.terms('rule.id', '2', 20)] })],
      }),
    )
    .withRow(row(102, 'Sessions'))
    .withPanel(
      timeseries(
        {
          id: 6,
          title: 'Fallback mode sessions',
          description: 'Distinct recovery sessions that ran in fallback mode (3.2 {fallback} marker), by OS version.',
          source: 'events',
          targets: [esQuery('events', { query: [...HOST, term('recovery.mode', 'fallback')], metrics: [metric.uniqueCount('recovery.session')], buckets: [bucket.terms('host.os.version', '2', 10), bucket.time('3')] })],
          w: 24,
        },
        { bars: true, stacked: true },
      ),
    )
    .build();
}
