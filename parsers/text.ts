/**
 * Byte strings (one char per byte, as `Buffer#latin1Slice` gives) to the text that normalized
 * events carry: valid UTF-8 is decoded; any byte that is not part of valid UTF-8 is written as
 * `\xNN`, two lowercase hex digits (rlog-3.2.md, "Bytes and lines").
 */

const ASCII = /^[\x00-\x7f]*$/;

/** Every char is ASCII: the text is its own display text. */
export function isAscii(bytes: string): boolean {
  return ASCII.test(bytes);
}

export function displayText(bytes: string): string {
  if (ASCII.test(bytes)) return bytes;
  let out = '';
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b0 = bytes.charCodeAt(i);
    if (b0 < 0x80) {
      out += bytes[i];
      i++;
      continue;
    }
    const len = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
    let cp = len === 2 ? b0 & 0x1f : len === 3 ? b0 & 0x0f : b0 & 0x07;
    let ok = len > 0 && i + len <= n;
    for (let k = 1; ok && k < len; k++) {
      const b = bytes.charCodeAt(i + k);
      if ((b & 0xc0) !== 0x80) ok = false;
      cp = (cp << 6) | (b & 0x3f);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if (ok && ((len === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len === 4 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
    if (ok) {
      out += String.fromCodePoint(cp);
      i += len;
    } else {
      out += `\\x${b0.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

/** Raw bytes as text for `event.original` and dead letters, cut at `limit` bytes. */
export function originalText(bytes: Buffer, limit = 65_536): string {
  const slice = bytes.length > limit ? bytes.subarray(0, limit) : bytes;
  return displayText(slice.toString('latin1'));
}
