/** Compact events of the rule cases (YAML) as normalized events. */
import type { EcsCategory, RecoveryEvent } from '../../parsers/event.js';

export interface CaseEvent {
  readonly id: string;
  readonly at: string;
  readonly action: string;
  readonly host?: string;
  readonly status?: string;
  readonly outcome?: 'success' | 'failure' | 'unknown';
  readonly module?: string;
  readonly kernel?: string;
  readonly instance?: string;
  readonly cid?: string;
  readonly os?: string;
  readonly path?: string;
}

const FAILURE = new Set(['missing', 'corrupt', 'failed', 'denied', 'misconfigured', 'partial', 'error']);

export function toEvent(c: CaseEvent): RecoveryEvent {
  const outcome = c.outcome ?? (c.status === 'ok' ? 'success' : c.status !== undefined && FAILURE.has(c.status) ? 'failure' : 'unknown');
  const os = c.os ?? '4.2.1';
  const category: EcsCategory[] = c.action.startsWith('check.') || c.action.startsWith('restore.file') ? ['file'] : ['host'];
  if (c.module !== undefined) category.push('driver');
  return {
    '@timestamp': new Date(c.at).toISOString(),
    event: { id: c.id, kind: 'event', category, type: ['info'], action: c.action, outcome, dataset: os.startsWith('3.') ? 'recovery.v32' : 'recovery.v42' },
    host: { name: c.host ?? 'db-07', os: { version: os } },
    ...(c.path !== undefined ? { file: { path: c.path } } : {}),
    recovery: {
      os_line: os.startsWith('3.') ? '3.2' : '4.2',
      instance: c.instance ?? 'default',
      ...(c.status !== undefined ? { status: c.status } : {}),
      ...(c.cid !== undefined ? { correlation_id: c.cid } : {}),
      ...(c.module !== undefined ? { module: c.module } : {}),
      ...(c.kernel !== undefined ? { kernel: c.kernel } : {}),
    },
  };
}
