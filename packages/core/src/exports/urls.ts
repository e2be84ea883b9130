/** `result_file` of a completed export (SPEC §3): the REST URL that streams its file. */
export const downloadPath = (id: string) => `/api/v1/exports/${id}/download/`;
