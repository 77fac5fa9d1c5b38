/** Untrusted files: any parsed YAML value is either a valid map/schedule or a catalogued error, never a crash. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRstError } from '../../../restore-runner/errors.js';
import { validateInstanceMap } from '../../../restore-runner/instances/load.js';
import { validateSchedule } from '../../../restore-runner/schedule/load.js';

const name = fc.constantFrom('os-a', 'os-b', 'default', 'x y', '', 'a/b');
const path = fc.constantFrom('/srv/a', '/srv/a/b', 'rel', '/dev/sdb2', '', '/srv/b');
const instance = fc.record(
  { id: name, osLine: fc.constantFrom('3.2', '4.2', 4.2, '5.0'), version: fc.constantFrom('4.2.1', '3.2.9', '4', 'x'), root: path, image: path, repository: path, bootConfig: path, extra: fc.anything() },
  { requiredKeys: [] },
);
const mapDoc = fc.oneof(fc.anything(), fc.record({ hosts: fc.array(fc.record({ host: name, instances: fc.oneof(fc.array(instance, { maxLength: 3 }), fc.anything()) }, { requiredKeys: [] }), { maxLength: 3 }) }, { requiredKeys: [] }));
const scheduleDoc = fc.oneof(
  fc.anything(),
  fc.record(
    {
      every: fc.constantFrom('nightly', '6h', '0m', '1d', 'daily', 3),
      window: fc.record({ start: fc.constantFrom('01:00', '24:00', '1:00'), end: fc.constantFrom('05:00', 'x'), timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'Mars/Base') }, { requiredKeys: [] }),
      retention: fc.dictionary(fc.constantFrom('last', 'daily', 'hourly', 'bogus'), fc.oneof(fc.integer({ min: -2, max: 5 }), fc.string())),
      verifyAfter: fc.constantFrom('data', 'structure', 'all'),
    },
    { requiredKeys: [] },
  ),
);

describe('instance map and schedule validation (fuzz)', () => {
  it('an instance map is valid or refused with RST_ERR_INSTANCES_INVALID', () => {
    fc.assert(
      fc.property(mapDoc, (doc) => {
        try {
          const map = validateInstanceMap(doc, '/tmp/m.yaml');
          for (const i of map.instances) expect(i.location.path.startsWith('/')).toBe(true);
        } catch (err: unknown) {
          expect(isRstError(err, 'RST_ERR_INSTANCES_INVALID')).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a schedule is valid or refused with RST_ERR_SCHEDULE_INVALID', () => {
    fc.assert(
      fc.property(scheduleDoc, (doc) => {
        try {
          validateSchedule(doc, 'p.yaml');
        } catch (err: unknown) {
          expect(isRstError(err, 'RST_ERR_SCHEDULE_INVALID')).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});
