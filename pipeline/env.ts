/** The one place that reads the environment. */
export const ENV = {
  /** The data folder, when --data is not given. */
  dataDir: (): string | undefined => process.env['KINTSUGI_DATA'] || undefined,
  /** A variable the configuration names (store.auth.passwordEnv, apiKeyEnv); unset or empty: undefined. */
  variable: (name: string): string | undefined => process.env[name] || undefined,
} as const;

/** --data, else KINTSUGI_DATA, else the configuration's `data`, else ./data. */
export function resolveDataDir(flag: string | undefined, configured?: string): string {
  return flag ?? ENV.dataDir() ?? configured ?? './data';
}
