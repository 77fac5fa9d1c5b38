/** Exit codes of every `kintsugi` command (documented in README.md). */
export const EXIT = {
  /** The work was done (bad records included: they are dead letters, not failures). */
  OK: 0,
  /** The input, repository or service could not be read or reached. */
  FAILURE: 1,
  /** The command line was wrong. */
  USAGE: 2,
  /** `kintsugi restore` stopped by SIGINT (128 + 2, as shells report it): the target is left safe. */
  CANCELLED_SIGINT: 130,
  /** `kintsugi restore` stopped by SIGTERM (128 + 15). */
  CANCELLED_SIGTERM: 143,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
