/**
 * Markup that holds the row's number (`<row r="12">`, `</v></c><c r="B12" t="inlineStr"><is><t>`): each piece
 * kept as bytes whose digits are rewritten in place when it is next used in a later row (mostly just the last
 * digit changed), so a cell's markup is one `TypedArray#set` instead of several byte loops. A JS byte loop
 * costs a few ns a byte here and XLSX's markup is ~85% of its bytes (~500 a products row); `set` costs about
 * the same for any length, so fewer, longer pieces (a cell's closing joined to the next one's opening) pay.
 */
export interface Numbered {
  /** `before` + the row's digits + `after`, as of row `row`. */
  bytes: Uint8Array;
  row: number;
  readonly before: Uint8Array;
  readonly after: Uint8Array;
}

const latin1 = (text: string) => Uint8Array.from(Buffer.from(text, "latin1"));

export class NumberedMarkup {
  /** The current row and its digits (`length` of them). */
  private row = 0;
  private readonly digits = new Uint8Array(16);
  private length = 0;
  /**
   * The row before the current one, when the two have as many digits, and the first digit they differ in: a
   * piece last written for that row needs only its digits from there rewritten (mostly the last one). -2: none.
   */
  private previous = -2;
  private changedFrom = 0;

  /** A piece `before` + the row's number + `after` (ASCII). */
  piece(before: string, after: string): Numbered {
    return { bytes: new Uint8Array(0), row: -1, before: latin1(before), after: latin1(after) };
  }

  /** The current row is `n` (a positive integer). */
  setRow(n: number) {
    if (n === this.row) return;
    const digits = this.digits;
    if (n === this.row + 1 && this.length > 0) {
      // The next row: its last digit changes, and those a carry reaches (no division per row).
      let k = this.length - 1;
      while (k >= 0 && digits[k] === 57) digits[k--] = 48;
      if (k >= 0) {
        digits[k] = (digits[k] as number) + 1;
        this.previous = this.row;
        this.changedFrom = k;
        this.row = n;
        return;
      }
    }
    this.previous = -2;
    let count = 0;
    for (let m = n; m > 0; m = Math.floor(m / 10)) count++;
    for (let k = count - 1, m = n; k >= 0; k--, m = Math.floor(m / 10)) digits[k] = 48 + (m % 10);
    this.length = count;
    this.row = n;
  }

  /** The piece's bytes for the current row. */
  bytes(piece: Numbered): Uint8Array {
    if (piece.row === this.row) return piece.bytes;
    const { before, after } = piece;
    const count = this.length;
    let bytes = piece.bytes;
    // Written for the row before (same digit count): only the digits that changed since.
    let from = piece.row === this.previous ? this.changedFrom : 0;
    if (bytes.length !== before.length + count + after.length) {
      bytes = new Uint8Array(before.length + count + after.length);
      bytes.set(before, 0);
      bytes.set(after, before.length + count);
      piece.bytes = bytes;
      from = 0;
    }
    const digits = this.digits;
    const at = before.length;
    for (let k = from; k < count; k++) bytes[at + k] = digits[k] as number;
    piece.row = this.row;
    return bytes;
  }
}
