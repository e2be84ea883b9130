export const MAX_REQUEST_PATH_LENGTH = 4096;
export const MAX_REQUEST_FIELDS = 100;
export const MAX_FIELD_NAME_LENGTH = 100;
/** As the given record stores it. */
export const MAX_ACTION_NAME_LENGTH = 255;

/** SPEC §2.5: `?limit=` defaults to 100, and a larger value is capped at 1000 (DRF's max_limit). */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** Bytes. */
export const MAX_FILTER_FILE_BYTES = 10 * 1024 * 1024;
