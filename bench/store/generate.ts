/**
 * A seeded generator of realistic normalized events for the store benchmark: 3.2 sessions
 * (start, snapshot mount, a run of module checks, restores, errors, summary, end) and 4.2
 * restores (start, blocks and files with parent links, end) plus stray 4.2 checks, over ~2000
 * hosts, spread over `spanDays` days, in time order or not (`order`). The same seed gives the
 * same events.
 */
import { rng } from '../rng.js';
import type { Dataset, RecoveryEvent } from '../../parsers/event.js';

export interface GeneratorOptions {
  readonly seed: number;
  readonly hosts: number;
  /** Events are timed from `startMs` over this many days. */
  readonly spanDays: number;
  readonly startMs: number;
  /**
   * 'time': groups start in time order over the span (with up to an hour of jitter), as live
   * tailing stores them, given `totalEvents`; 'random': anywhere in the span, the worst case for
   * DuckDB's zone maps on the time column.
   */
  readonly order: 'time' | 'random';
  readonly totalEvents: number;
}

const MODULES = [
  ['kernel/fs/ext4', 'ext4'], ['kernel/fs/xfs', 'xfs'], ['kernel/fs/btrfs', 'btrfs'], ['updates/dkms', 'zfs'],
  ['kernel/drivers/net', 'e1000e'], ['kernel/drivers/net', 'ixgbe'], ['kernel/drivers/net', 'igb'],
  ['kernel/drivers/net', 'mlx5_core'], ['kernel/drivers/net', 'bnxt_en'], ['kernel/drivers/net', 'virtio_net'],
  ['kernel/drivers/scsi', 'megaraid_sas'], ['kernel/drivers/scsi', 'mpt3sas'], ['kernel/drivers/scsi', 'hpsa'],
  ['kernel/drivers/nvme', 'nvme'], ['kernel/drivers/nvme', 'nvme_core'], ['kernel/drivers/md', 'dm_mod'],
  ['kernel/drivers/md', 'raid1'], ['kernel/drivers/md', 'raid456'], ['kernel/drivers/usb', 'xhci_hcd'],
  ['kernel/drivers/gpu', 'i915'], ['kernel/drivers/gpu', 'amdgpu'], ['kernel/net/ipv6', 'ipv6'],
  ['kernel/net/netfilter', 'nf_tables'], ['kernel/net/bridge', 'bridge'], ['kernel/crypto', 'aesni_intel'],
  ['kernel/drivers/block', 'virtio_blk'], ['kernel/drivers/char', 'tpm_tis'], ['kernel/fs/nfs', 'nfs'],
  ['kernel/fs/cifs', 'cifs'], ['kernel/drivers/infiniband', 'ib_core'],
] as const;

const CONFIGS = ['/etc/fstab', '/etc/default/grub', '/boot/grub/grub.cfg', '/opt/vendor tools/agent.conf', '/etc/ssh/sshd_config'];
const ERROR_TEXTS = [
  'cannot restore /etc/fstab: read-only file system',
  'snapshot image checksum mismatch on block 1423',
  'module signature rejected by kernel keyring',
  'restore target busy, retry scheduled',
  'no space left on device while writing /lib/modules',
];
const WARN_TEXTS = ['snapshot older than 7 days', 'fallback mode engaged', 'slow device: 12 MB/s', 'clock skew 3s'];


export class EventGenerator {
  private readonly random: () => number;
  private readonly options: GeneratorOptions;
  private serial = 0;
  /** Correlation ids handed out so far, for picking trace targets. */
  readonly correlationIds: string[] = [];

  constructor(options: GeneratorOptions) {
    this.options = options;
    this.random = rng(options.seed);
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private pick<T>(list: readonly T[]): T {
    const v = list[this.int(list.length)];
    if (v === undefined) throw new Error('empty list');
    return v;
  }

  private hex(len: number): string {
    let s = '';
    while (s.length < len) s += this.int(0x100000000).toString(16).padStart(8, '0');
    return s.slice(0, len);
  }

  private nextId(): string {
    return `${(++this.serial).toString(36).padStart(8, '0')}-${this.hex(12)}`;
  }

  /** Appends the events of one session or restore (10-60 events) to `out`. */
  private group(out: RecoveryEvent[]): void {
    const { hosts, spanDays, startMs } = this.options;
    const hostNo = this.int(hosts);
    const v42 = hostNo % 5 < 2; // 40 % of hosts are 4.2
    const host = `${v42 ? 'web' : 'db'}-${String(hostNo).padStart(4, '0')}`;
    const progress = Math.min(1, this.serial / this.options.totalEvents);
    let t =
      this.options.order === 'random'
        ? startMs + this.int(spanDays * 86_400_000)
        : startMs + Math.floor(progress * spanDays * 86_400_000) + this.int(3_600_000);
    const kernel = v42 ? `4.2.${this.int(4)}` : `3.2.${this.int(8)}`;
    const dataset: Dataset = v42 ? 'recovery.v42' : 'recovery.v32';
    const logPath = v42 ? '/var/log/recovery/ops.jsonl' : '/var/log/recovery/recovery.log';
    const cid = v42
      ? `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}`
      : this.hex(6);
    this.correlationIds.push(cid);
    const instance = v42 && this.random() < 0.5 ? 'os-b' : 'default';
    let offset = this.int(10_000_000);
    const emit = (
      action: string,
      status: string | null,
      extra: { path?: string; module?: string; code?: string; message?: string; parent?: string; bytes?: number },
    ): string => {
      t += 1 + this.int(900);
      const id = this.nextId();
      const outcome =
        status === 'ok' ? 'success' : status !== null && ['missing', 'corrupt', 'failed', 'error', 'partial'].includes(status) ? 'failure' : 'unknown';
      const ts = new Date(t).toISOString();
      const original = v42
        ? `{"ts":"${ts}","host":"${host}","op":"${action}","status":"${status ?? ''}","cid":"${cid}"${extra.path === undefined ? '' : `,"path":"${extra.path}"`}}`
        : `[${ts}] ${action.toUpperCase()} ${extra.path ?? ''} ${status?.toUpperCase() ?? ''}${extra.code === undefined ? '' : ` (code=${extra.code})`}`;
      const len = original.length + 1;
      const event: RecoveryEvent = {
        '@timestamp': ts,
        event: {
          id,
          kind: 'event',
          category: extra.module === undefined ? ['file'] : ['file', 'driver'],
          type: ['info'],
          action,
          outcome,
          ...(extra.code === undefined ? {} : { code: extra.code }),
          dataset,
          original,
        },
        host: { name: host, os: { version: kernel } },
        ...(extra.path === undefined ? {} : { file: { path: extra.path, ...(extra.bytes === undefined ? {} : { size: extra.bytes }) } }),
        ...(extra.code === undefined ? {} : { error: { code: extra.code, ...(extra.message === undefined ? {} : { message: extra.message }) } }),
        ...(extra.message === undefined ? {} : { message: extra.message }),
        log: { file: { path: logPath }, offset },
        recovery: {
          os_line: v42 ? '4.2' : '3.2',
          ...(status === null ? {} : { status }),
          ...(v42 ? {} : { mode: this.random() < 0.1 ? 'fallback' : 'standard', session: cid }),
          correlation_id: cid,
          ...(extra.parent === undefined ? {} : { parent_id: extra.parent }),
          instance,
          ...(extra.module === undefined ? {} : { module: extra.module, kernel }),
        },
      };
      offset += len;
      out.push(event);
      return id;
    };
    const checks = 8 + this.int(40);
    const check = (parent?: string): void => {
      const [dir, mod] = this.pick(MODULES);
      const r = this.random();
      const status = r < 0.9 ? 'ok' : r < 0.95 ? 'missing' : 'corrupt';
      const code = status === 'missing' ? 'E2001' : status === 'corrupt' ? 'E1207' : undefined;
      emit('check.file', status, {
        path: `/lib/modules/${kernel}/${dir}/${mod}.ko${this.random() < 0.3 ? '.xz' : ''}`,
        module: mod,
        ...(code === undefined ? {} : { code }),
        ...(status === 'corrupt' ? { message: 'checksum mismatch' } : {}),
        ...(parent === undefined ? {} : { parent }),
      });
    };
    if (v42) {
      const start = emit('restore.start', 'started', {});
      for (let i = 0; i < checks; i++) {
        if (this.random() < 0.6) check(start);
        else emit('restore.block', 'ok', { parent: start, bytes: 4_194_304 });
      }
      if (this.random() < 0.05) emit('error', 'error', { code: 'E3004', message: this.pick(ERROR_TEXTS), parent: start });
      emit('restore.end', this.random() < 0.9 ? 'ok' : 'failed', { parent: start });
    } else {
      emit('session.start', null, {});
      emit('snapshot.mount', 'ok', { path: `/mnt/backup/${host}.img` });
      for (let i = 0; i < checks; i++) check();
      if (this.random() < 0.3) emit('check.file', 'corrupt', { path: this.pick(CONFIGS), code: 'E1207', message: '| 0000: 7f 45 4c 46 02 01 01 00' });
      if (this.random() < 0.2) emit('restore.file', 'ok', { path: `/lib/modules/${kernel}/${this.pick(MODULES)[0]}/x.ko` });
      if (this.random() < 0.1) emit('error', 'error', { code: 'E3004', message: this.pick(ERROR_TEXTS) });
      if (this.random() < 0.1) emit('warning', 'warning', { code: 'W2001', message: this.pick(WARN_TEXTS) });
      emit('session.summary', null, {});
      emit('session.end', this.random() < 0.8 ? 'ok' : 'partial', {});
    }
  }

  /** The next `count` events (whole groups, so a few more than asked at most). */
  next(count: number): RecoveryEvent[] {
    const out: RecoveryEvent[] = [];
    while (out.length < count) this.group(out);
    return out;
  }
}
