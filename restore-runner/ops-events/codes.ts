/**
 * The `code` of the runner's own OPS events when something is wrong (README.md, "Events").
 * E1207 and E2001 are the hosts' own codes for a corrupt and a missing file, reused so that
 * rules and dashboards read a self-healing finding like a host's check.
 */
export const OPS_CODES = {
  fileCorrupt: 'E1207',
  fileMissing: 'E2001',
  snapshotFailed: 'E7001',
  verifyFailed: 'E7002',
  selfhealFailed: 'E7003',
  drillFailed: 'E7004',
  prefetchFailed: 'E7005',
  configChanged: 'W7010',
} as const;
