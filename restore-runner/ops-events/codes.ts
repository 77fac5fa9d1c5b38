/**
 * The `code` of the runner's own OPS events when something is wrong (README.md, "Events").
 * E1207 and E2001 are the hosts' own codes for a corrupt and a missing file, reused so that
 * rules and dashboards read a self-healing finding like a host's check.
 */
export const OPS_CODES = {
  fileCorrupt: 'E1207',
  fileMissing: 'E2001',
  // E70xx are the restore runner's (restore-runner/jobs/); E72xx these operations'.
  snapshotFailed: 'E7201',
  verifyFailed: 'E7202',
  selfhealFailed: 'E7203',
  drillFailed: 'E7204',
  prefetchFailed: 'E7205',
  configChanged: 'W7210',
} as const;
