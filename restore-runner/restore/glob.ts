/**
 * Path selection for `restore --mode files --path P`: `*` matches within one name, `**` across
 * names, `?` one character; a pattern that names a directory selects everything below it.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  const g = glob.replace(/^\/+|\/+$/g, '');
  for (let i = 0; i < g.length; i++) {
    const c = g[i] ?? '';
    if (c === '*') {
      if (g[i + 1] === '*') {
        re += '.*';
        i++;
        if (g[i + 1] === '/') i++;
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}(?:/.*)?$`, 's');
}

export function pathSelector(globs: readonly string[]): (path: string) => boolean {
  const res = globs.map(globToRegExp);
  return (path) => res.some((r) => r.test(path));
}
