/**
 * The rules' error catalogue: stable codes, messages that say what to fix. Documented in the
 * error table of README.md in this folder (checked by test/rules/errors.test.ts).
 */
export const RULES_ERRORS = {
  PIP_ERR_RULES_READ: { message: 'cannot read rules file %s (%s)', retriable: false },
  PIP_ERR_RULES_YAML: { message: '%s is not valid YAML: %s', retriable: false },
  PIP_ERR_RULES_INVALID: { message: '%s: %s', retriable: false },
} as const;

export type RulesErrorCode = keyof typeof RULES_ERRORS;

export class RulesError extends Error {
  override readonly name = 'RulesError';
  readonly retriable: boolean;
  constructor(
    readonly code: RulesErrorCode,
    /** The file, and each problem found (for `kintsugi rules check`). */
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    let i = 0;
    const args = [file, problems.join('; ')];
    super(`${code}: ${RULES_ERRORS[code].message.replace(/%s/g, () => args[i++] ?? '')}`);
    this.retriable = RULES_ERRORS[code].retriable;
  }
}
