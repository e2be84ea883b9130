/**
 * The CRC-32 of two joined byte sequences from each one's CRC and the second's length: zlib's `crc32_combine`
 * (`multmodp`/`x2nmodp`), which node:zlib does not expose. Each page computes its own XML's CRC.
 */

/** The reflected polynomial. */
const POLY = 0xedb8_8320;

/** a(x) · b(x) modulo p(x), reflected; both as unsigned 32-bit values. */
function multModP(a: number, b: number): number {
  let m = 0x8000_0000;
  let p = 0;
  let bb = b >>> 0;
  for (;;) {
    if ((a & m) >>> 0 !== 0) {
      p ^= bb;
      if ((a & (m - 1)) >>> 0 === 0) break;
    }
    m >>>= 1;
    bb = bb & 1 ? (bb >>> 1) ^ POLY : bb >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) modulo p(x). */
const X2N: number[] = [];
{
  let p = 0x4000_0000; // x^1
  X2N.push(p);
  for (let k = 1; k < 32; k++) {
    p = multModP(p, p);
    X2N.push(p);
  }
}

/** x^(n · 2^k) modulo p(x), for any safe integer n. */
function x2nModP(n: number, k: number): number {
  let p = 0x8000_0000; // x^0
  let rest = n;
  let bit = k;
  while (rest > 0) {
    if (rest % 2 === 1) p = multModP(X2N[bit & 31] as number, p);
    rest = Math.floor(rest / 2);
    bit++;
  }
  return p;
}

/** The CRC-32 of A followed by B, given crc(A), crc(B) and B's length in bytes. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError(`invalid length ${lengthB}`);
  return (multModP(x2nModP(lengthB, 3), crcA >>> 0) ^ (crcB >>> 0)) >>> 0;
}
