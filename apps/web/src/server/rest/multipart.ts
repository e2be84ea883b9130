import { type FilterFile, invalid, invalidDetail, MAX_FILTER_FILE_BYTES } from "@exports/core";
import { mediaType, readLimited } from "./body";

/** The filter file's limit (core refuses a larger file with 400) plus room for the other fields. */
export const MAX_MULTIPART_BODY_BYTES = MAX_FILTER_FILE_BYTES + 1024 * 1024;

/** Form keys whose values are lists: repeated once per item, in order (as HTML forms send lists). */
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

/**
 * Reads a `multipart/form-data` create (SPEC §3): the body is buffered with a cap (413 beyond it), then
 * parsed by the platform (`Request.formData()`). Only the HTTP shape is handled here; every rule about the
 * values and the file is core's.
 *
 * - `request_fields` repeats once per field, in order; a single value is a list of one.
 * - Other keys take their value (the last one, if repeated, as Django's QueryDict does).
 * - Empty values count as absent, as an HTML form sends an empty input.
 * - `filter_file` is the uploaded file; a file input left empty (no name, no bytes) counts as absent, so a
 *   multipart without a file creates an export exactly as the JSON body would.
 */
export async function readMultipartCreate(req: Request): Promise<MultipartCreate> {
  const body = await readLimited(req, MAX_MULTIPART_BODY_BYTES);
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), {
      headers: { "Content-Type": req.headers.get("content-type") ?? "" },
    }).formData();
  } catch (err) {
    throw invalidDetail(`Multipart form parse error - ${(err as Error).message}`);
  }

  const input: Record<string, unknown> = {};
  let filterFile: FilterFile | undefined;
  for (const key of new Set(form.keys())) {
    const values = form.getAll(key);
    if (key === FILE_KEY) {
      const files = values.filter(
        (v): v is File => typeof v !== "string" && !(v.name === "" && v.size === 0),
      );
      if (values.some((v) => typeof v === "string" && v !== "")) {
        throw invalid({
          [FILE_KEY]: ["The submitted data was not a file. Check the encoding type on the form."],
        });
      }
      if (files.length > 1) throw invalid({ [FILE_KEY]: ["Upload one filter file."] });
      const file = files[0];
      if (file) filterFile = { name: file.name, content: Buffer.from(await file.arrayBuffer()) };
      continue;
    }
    // A file where text belongs is passed on as it is, for core to refuse ("Not a valid string.").
    const present = values.filter((v) => v !== "");
    if (present.length === 0) continue;
    input[key] = LIST_KEYS.has(key) ? present : present.at(-1);
  }
  return filterFile ? { input, filterFile } : { input };
}
