/** Jupyter counts cursor positions in Unicode code points (protocol 5.2+); JavaScript strings in UTF-16 units. */

/** Code-point offset → UTF-16 offset in `text`. */
export function codePointsToUtf16(text: string, codePoints: number): number {
  let units = 0;
  for (let i = 0; i < codePoints && units < text.length; i++) units += text.codePointAt(units)! > 0xffff ? 2 : 1;
  return units;
}

/** UTF-16 offset → code-point offset in `text`. */
export function utf16ToCodePoints(text: string, units: number): number {
  return [...text.slice(0, units)].length;
}
