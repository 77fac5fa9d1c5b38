/** Device numbers as glibc's `major()`/`minor()` split Linux's `st_rdev` (Node gives only the whole). */
export function deviceNumbers(rdev: bigint): { readonly major: number; readonly minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}
