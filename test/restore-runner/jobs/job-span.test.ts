/**
 * OpenTelemetry of the restore runner: each run of a job is a `kintsugi.restore.job` span with its
 * correlation id, alert and host, linked to the rule evaluation span that raised its alert.
 */
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { tracing } from '@opentelemetry/sdk-node';
import { afterAll, describe, expect, it } from 'vitest';
import { SPANS } from '../../../pipeline/telemetry/spans.js';
import { startTelemetry } from '../../../pipeline/telemetry/telemetry.js';
import { validatePolicy } from '../../../restore-runner/recovery-policy/load.js';
import { tempDir } from '../helpers.js';
import { alertFor, fleetRunner, makeFleet, MODULE_PATH, write } from './fleet.js';

const spans = new tracing.InMemorySpanExporter();
const telemetry = startTelemetry({ spanProcessors: [new tracing.SimpleSpanProcessor(spans)] });
afterAll(() => telemetry.shutdown());

const AUTO = validatePolicy({ version: 1, groups: [{ name: 'lab', hosts: ['lab-*'], restore: 'auto' }] }, 'test-policy');

describe('restore job spans', () => {
  it('one span per job run, with its correlation id, alert and host, linked to the evaluation that raised the alert', async () => {
    const dir = tempDir('job-span');
    const fleet = makeFleet(join(dir, 'fleet'));
    fleet.snapshot('os-a', '2026-03-12T02:00:00Z');
    write(join(fleet.root('os-a'), MODULE_PATH), Buffer.alloc(20_000, 'CORRUPT'));
    const runner = fleetRunner(fleet, join(dir, 'data'), { policy: AUTO, damage: () => Promise.resolve({ paths: [MODULE_PATH], firstEventId: null }) });
    await runner.start();
    const alert = alertFor('lab-1', 'os-a', 'ixgbe');
    // The evaluation span, as the evaluator hands it over with its changes.
    const evaluation = trace.getTracer('test').startSpan(SPANS.rulesEvaluate.name);
    evaluation.end();
    await runner.onAlertChanges([{ kind: 'new', alert }], evaluation.spanContext());
    await runner.settle();
    await runner.settle();
    await runner.stop();
    const [job] = runner.list();
    expect(job?.state).toBe('succeeded');

    // The processor exports a span once the SDK's resource detection has finished, which under load may be later than its end.
    await telemetry.flush();
    const jobSpans = spans.getFinishedSpans().filter((s) => s.name === SPANS.restoreJob.name);
    expect(jobSpans).toHaveLength(1);
    expect(jobSpans[0]?.attributes).toEqual({ 'kintsugi.correlation_id': job?.correlationId, 'kintsugi.alert_id': alert.event.id, 'host.name': 'lab-1' });
    expect(jobSpans[0]?.links.map((l) => l.context.spanId)).toEqual([evaluation.spanContext().spanId]);
  });

  it('a job asked for by hand has its span too, without a link', async () => {
    const dir = tempDir('job-span-manual');
    const fleet = makeFleet(join(dir, 'fleet'));
    fleet.snapshot('os-a', '2026-03-12T02:00:00Z');
    const runner = fleetRunner(fleet, join(dir, 'data'), { policy: AUTO });
    await runner.start();
    await telemetry.flush();
    spans.reset();
    const job = runner.request({ host: 'lab-1', instance: 'os-a', by: 'alice', approved: true });
    await runner.settle();
    await runner.settle();
    await runner.stop();
    await telemetry.flush();
    const jobSpans = spans.getFinishedSpans().filter((s) => s.name === SPANS.restoreJob.name);
    expect(jobSpans.map((s) => [s.attributes['kintsugi.correlation_id'], s.attributes['kintsugi.alert_id'], s.links.length])).toEqual([[job.correlationId, undefined, 0]]);
  });
});
