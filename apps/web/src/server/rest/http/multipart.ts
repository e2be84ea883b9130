import { DomainError, type FilterFile, invalid, invalidDetail, MAX_FILTER_FILE_BYTES } from "@exports/core";
import busboy from "busboy";
import { mediaType, tooLarge } from "./body";

/** The filter file's limit (core refuses a larger file with 400) plus room for the other fields. */
export const MAX_MULTIPART_BODY_BYTES = MAX_FILTER_FILE_BYTES + 1024 * 1024;
/** Parts one create may send (five fields, a file, up to 100 `request_fields`, some spare); 413 past it. */
export const MAX_FORM_PARTS = 110;
/** A text field's bytes, at most: cut here, still longer than any value core accepts (core refuses it). */
const MAX_FIELD_BYTES = 64 * 1024;

/** Form keys whose values are lists, repeated once per item (as HTML forms send lists). */
const LIST_KEYS = new Set(["request_fields"]);
const FILE_KEY = "filter_file";

export function isMultipart(req: Request): boolean {
  return mediaType(req) === "multipart/form-data";
}

export interface MultipartCreate {
  /** The body's fields, shaped like the JSON body (core validates them). */
  input: Record<string, unknown>;
  filterFile?: FilterFile;
}

function tooManyParts(): DomainError {
  return new DomainError(
    "PAYLOAD_TOO_LARGE",
    `The form has more than ${MAX_FORM_PARTS} parts (fields and files).`,
  );
}

/** A file sent where text belongs: passed on without its bytes, for core to refuse as DRF does. */
class FileInTextField {
  constructor(readonly filename: string) {}
  toString() {
    return this.filename;
  }
}

/**
 * Reads a `multipart/form-data` create (SPEC §3) in one streamed pass (busboy), counting bytes and parts as
 * they come (413 past the limits, the rest unread); the rules about values and the file are core's. Other
 * keys than `request_fields` take their last value (as Django's QueryDict); empty values and an empty file
 * input count as absent. Not `Request.formData()`: it buffers the body, and `getAll` per key is O(n²) (40,000
 * fields took 13 s of CPU, the process answering nothing else).
 */
export async function readMultipartCreate(req: Request): Promise<MultipartCreate> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_MULTIPART_BODY_BYTES) throw tooLarge(MAX_MULTIPART_BODY_BYTES);

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": req.headers.get("content-type") ?? "" },
      // The name as the client sent it: core makes it safe (safeFileName), the same for every door.
      preservePath: true,
      // Browsers send a file name's UTF-8 bytes as they are (busboy's default would read them as latin1).
      defParamCharset: "utf8",
      limits: {
        parts: MAX_FORM_PARTS + 1,
        fieldSize: MAX_FIELD_BYTES,
        fieldNameSize: 200,
        fileSize: MAX_FILTER_FILE_BYTES + 1,
      },
    });
  } catch (err) {
    throw invalidDetail(`Multipart form parse error - ${(err as Error).message}`);
  }

  const values = new Map<string, unknown[]>();
  const files: { name: string; chunks: Buffer[]; size: number }[] = [];
  let textInFileKey = false;
  let parts = 0;
  let failure: DomainError | null = null;
  const fail = (err: DomainError) => {
    failure ??= err;
  };
  const add = (name: string, value: unknown) => {
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  };
  const countPart = () => {
    parts++;
    if (parts > MAX_FORM_PARTS) fail(tooManyParts());
  };

  parser.on("field", (name, value) => {
    countPart();
    if (name === FILE_KEY) {
      if (value !== "") textInFileKey = true;
      return;
    }
    if (value !== "") add(name, value);
  });
  parser.on("file", (name, stream, info) => {
    countPart();
    // A body cut short ends its file with an error; the parser's own error or `failure` reports it.
    stream.on("error", () => {});
    if (name !== FILE_KEY || failure) {
      stream.resume();
      if (!failure) add(name, new FileInTextField(info.filename ?? ""));
      return;
    }
    const file = { name: info.filename ?? "", chunks: [] as Buffer[], size: 0 };
    files.push(file);
    stream.on("data", (chunk: Buffer) => {
      file.chunks.push(chunk);
      file.size += chunk.byteLength;
    });
  });
  parser.on("partsLimit", () => fail(tooManyParts()));
  // Settles on close, or on an error (raised as `failure`).
  const finished = new Promise<void>((resolve) => {
    parser.on("close", resolve);
    parser.on("error", (err: Error) => {
      fail(invalidDetail(`Multipart form parse error - ${err.message}`));
      resolve();
    });
  });

  if (req.body) {
    const reader = req.body.getReader();
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_MULTIPART_BODY_BYTES) fail(tooLarge(MAX_MULTIPART_BODY_BYTES));
      else if (!parser.write(value) && !failure) {
        await Promise.race([new Promise((resolve) => parser.once("drain", resolve)), finished]);
      }
      if (failure) {
        await reader.cancel().catch(() => {});
        parser.destroy();
        throw failure;
      }
    }
  }
  parser.end();
  await finished;
  if (failure) throw failure;

  if (textInFileKey) {
    throw invalid({
      [FILE_KEY]: ["The submitted data was not a file. Check the encoding type on the form."],
    });
  }
  const uploaded = files.filter((f) => !(f.name === "" && f.size === 0));
  if (uploaded.length > 1) throw invalid({ [FILE_KEY]: ["Upload one filter file."] });
  const input = Object.fromEntries(
    [...values].map(([key, list]) => [key, LIST_KEYS.has(key) ? list : list.at(-1)]),
  );
  // `options` (issue 17) is an object: a form sends it as its JSON text (not JSON: left for the 400 to name).
  if (typeof input.options === "string") {
    try {
      input.options = JSON.parse(input.options);
    } catch {}
  }
  const file = uploaded[0];
  return file
    ? { input, filterFile: { name: file.name, content: Buffer.concat(file.chunks, file.size) } }
    : { input };
}
