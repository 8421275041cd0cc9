/**
 * A process's line as the view may draw it: text only. Escape sequences (colours, titles, OSC 52
 * clipboard writes, OSC 8 links, cursor moves) are dropped; other control characters are shown
 * as their visible pictures (␈ ␋ ␌ …) so they cannot move the cursor; bidi controls, which
 * reorder what follows them, are dropped; after a carriage return only what a terminal would
 * show is kept (a progress bar's latest state). Linear in the line's length. Pure.
 */
export function visibleText(line: string): string {
  const cr = line.replace(/\r+$/, '').lastIndexOf('\r');
  const text = cr === -1 ? line.replace(/\r+$/, '') : line.slice(cr + 1).replace(/\r+$/, '');
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x1b) {
      i = escapeEnd(text, i);
      continue;
    }
    if (c === 0x9b || c === 0x9d || c === 0x90) {
      // C1 CSI, OSC, DCS: the one-byte forms of ESC [ ESC ] ESC P
      i = sequenceEnd(text, i + 1, c === 0x9b ? 'csi' : 'string');
      continue;
    }
    if (c === 0x09) out += '    ';
    else if (c < 0x20) out += String.fromCharCode(0x2400 + c);
    else if (c === 0x7f) out += '␡';
    else if (c >= 0x80 && c < 0xa0) continue;
    else if (BIDI.has(c)) continue;
    else out += text[i];
  }
  return out;
}

/** Left-to-right/right-to-left marks, embeddings, overrides and isolates. */
const BIDI = new Set([0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);

/** The index of the last character of the escape sequence starting at `i` (an ESC). */
function escapeEnd(text: string, i: number): number {
  const next = text[i + 1];
  if (next === '[') return sequenceEnd(text, i + 2, 'csi');
  if (next === ']' || next === 'P' || next === 'X' || next === '^' || next === '_') return sequenceEnd(text, i + 2, 'string');
  return next === undefined ? i : i + 1; // a two-character escape (ESC 7, ESC c …)
}

/** Where a CSI (parameters, then one final byte) or a string sequence (up to BEL or ESC \) ends; the line's end if it never does. */
function sequenceEnd(text: string, from: number, kind: 'csi' | 'string'): number {
  for (let j = from; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (kind === 'csi' && c >= 0x40 && c <= 0x7e) return j;
    if (kind === 'string' && (c === 0x07 || c === 0x9c)) return j;
    if (kind === 'string' && c === 0x1b) return text[j + 1] === '\\' ? j + 1 : j;
    if (kind === 'csi' && (c < 0x20 || c > 0x3f) && !(c >= 0x20 && c <= 0x2f)) return j - 1; // not a CSI byte: the sequence was cut
  }
  return text.length - 1;
}
