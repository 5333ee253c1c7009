/**
 * The serving errors table: every error the server can answer with, by code.
 *
 * Format of a row: `CODE: [httpStatus, template]`. `{name}` placeholders are filled from the
 * `params` given to {@link servingError}. The templates follow Triton's own wording where Triton has
 * one, so clients that match on Triton's messages (e.g. "Request for unknown model") keep working;
 * the rest name the problem and the fix. `test/serving/errors.test.ts` keeps this table and
 * `docs` below in sync.
 */

/** Every error code with its HTTP status and message template. */
export const ERRORS = {
  // --- request routing (404) ---
  MODEL_NOT_FOUND: [404, "Request for unknown model: '{model}' is not found"],
  VERSION_NOT_FOUND: [404, "Request for unknown model: '{model}' version {version} is not found"],
  ROUTE_NOT_FOUND: [404, "Not Found: no endpoint {method} {path}; see GET /v2 for the protocol"],
  METHOD_NOT_ALLOWED: [405, "Method Not Allowed: {method} {path}; this endpoint takes {allowed}"],
  // --- readiness (503) ---
  MODEL_NOT_READY: [503, "Request for model '{model}' which is not ready ({state}): {reason}; fix it and POST /v2/repository/models/{model}/load"],
  SERVER_STOPPING: [503, "Server is shutting down; request refused"],
  // --- bad requests (400) ---
  INVALID_NAME: [400, "invalid model name '{model}': {why}"],
  PATH_REFUSED: [400, "path '{path}' is refused: {why}"],
  INVALID_VERSION: [400, "invalid model version '{version}' for '{model}': versions are positive integers"],
  MALFORMED_JSON: [400, "failed to parse the request JSON buffer: {detail}"],
  BAD_REQUEST_FIELD: [400, "{prefix}{detail}"],
  UNEXPECTED_INPUT: [400, "{prefix}unexpected inference input '{input}' for model '{model}'; expected one of: {allowed}"],
  MISSING_INPUT: [400, "{prefix}expected {expected} inputs but got {got} inputs for model '{model}'; missing '{missing}'"],
  DUPLICATE_INPUT: [400, "{prefix}input '{input}' appears more than once in the request for model '{model}'"],
  WRONG_DATATYPE: [400, "{prefix}inference input '{input}' data-type is '{got}', but model '{model}' expects '{expected}'"],
  WRONG_SHAPE: [400, "{prefix}unexpected shape for input '{input}' for model '{model}'. Expected {expected}, got {got}"],
  BATCH_TOO_LARGE: [400, "{prefix}inference request batch-size must be <= {max} for '{model}'"],
  BATCH_MISMATCH: [400, "{prefix}inputs of model '{model}' disagree on the batch size: '{input}' has {got}, expected {expected}"],
  ELEMENT_COUNT: [400, "{prefix}unexpected number of elements for input '{input}' for model '{model}'. Shape {shape} needs {expected}, got {got}"],
  BAD_ELEMENT: [400, "{prefix}input '{input}' element {index} is {value}, which is not a valid {datatype} value"],
  BINARY_SIZE: [400, "{prefix}input byte size mismatch for input '{input}' for model '{model}'. Expected {expected}, got {got}"],
  TRUNCATED_BODY: [400, "{prefix}request body is truncated: {detail}"],
  BAD_HEADER_LENGTH: [400, "Inference-Header-Content-Length is {value}, but the body has {size} bytes; it must be an integer between 0 and the body size"],
  UNKNOWN_OUTPUT: [400, "{prefix}unexpected inference output '{output}' for model '{model}'; expected one of: {allowed}"],
  BAD_CLASSIFICATION: [400, "{prefix}classification of output '{output}' for model '{model}': {detail}"],
  BODY_TOO_LARGE: [413, "request body exceeds the limit of {limit} bytes; send smaller batches or raise maxBodyBytes"],
  // --- model repository ---
  LOAD_FAILED: [400, "failed to load '{model}': {reason}"],
  CONFIG_INVALID: [400, "{file}:{line}: {detail}"],
  CONFIG_OVERRIDE_INVALID: [400, "invalid config override for '{model}' (load parameter 'config'): {detail}"],
  LOAD_PARAMETER: [400, "load of '{model}': {detail}"],
  // --- inference ---
  INFERENCE_FAILED: [500, "{prefix}inference of model '{model}' failed: {detail}"],
  DEVICE_UNAVAILABLE: [400, "device '{device}' is not available: {detail}"],
  INTERNAL: [500, "internal error: {detail}"],
} as const satisfies Record<string, readonly [number, string]>;

/** Documentation for every code (kept in sync with {@link ERRORS} by a test). */
export const ERROR_DOCS: Record<ErrorCode, string> = {
  MODEL_NOT_FOUND: "The URL names a model that is not in the model repository.",
  VERSION_NOT_FOUND: "The model exists but the requested version directory is not loaded.",
  ROUTE_NOT_FOUND: "No endpoint matches the path.",
  METHOD_NOT_ALLOWED: "The path exists but takes another HTTP method.",
  MODEL_NOT_READY: "The model is in the repository but unloaded or failed to load; the reason says why.",
  SERVER_STOPPING: "stop() was called; in-flight requests finish, new ones are refused.",
  INVALID_NAME: "A model name from a URL or the repository extension could reach outside the repository.",
  PATH_REFUSED: "A path inside the repository (model directory, version, model or label file) resolves outside it.",
  INVALID_VERSION: "A version from a URL is not a positive integer.",
  MALFORMED_JSON: "The JSON header of an infer or repository request does not parse.",
  BAD_REQUEST_FIELD: "A field of the infer request has the wrong JSON type.",
  UNEXPECTED_INPUT: "The request names an input the model does not have.",
  MISSING_INPUT: "The request lacks an input the model needs.",
  DUPLICATE_INPUT: "The request gives the same input twice.",
  WRONG_DATATYPE: "The input's datatype differs from the model's.",
  WRONG_SHAPE: "The input's shape does not match the model's dims (-1 matches any size).",
  BATCH_TOO_LARGE: "The request's batch dimension exceeds max_batch_size.",
  BATCH_MISMATCH: "Inputs of one request give different batch sizes.",
  ELEMENT_COUNT: "The JSON data holds a different number of elements than the shape needs.",
  BAD_ELEMENT: "A JSON element is not a value of the input's datatype.",
  BINARY_SIZE: "binary_data_size disagrees with shape x element size.",
  TRUNCATED_BODY: "The body ends before the binary data that the header announces.",
  BAD_HEADER_LENGTH: "Inference-Header-Content-Length is not a usable length.",
  UNKNOWN_OUTPUT: "The request asks for an output the model does not have.",
  BAD_CLASSIFICATION: "classification was asked for an output that cannot be classified, or with a bad K.",
  BODY_TOO_LARGE: "The request body is larger than the server's limit.",
  LOAD_FAILED: "A model could not be loaded (configuration, ONNX file or device); it is UNAVAILABLE with this reason.",
  CONFIG_INVALID: "config.pbtxt has a wrong value; the message names the file and line.",
  CONFIG_OVERRIDE_INVALID: "The JSON config given to a repository load request does not parse or has a wrong value; the message names the field.",
  LOAD_PARAMETER: "A repository load request has a parameter flowbook does not support (only 'config' is), or one of the wrong type.",
  INFERENCE_FAILED: "ONNX Runtime refused or failed the run.",
  DEVICE_UNAVAILABLE: "The requested execution provider is not in this onnxruntime-node build.",
  INTERNAL: "A bug in the server; the server stays up.",
};

/** A code of the serving errors table. */
export type ErrorCode = keyof typeof ERRORS;

/** An error from the table: carries its code and the HTTP status the server answers with. */
export class ServingError extends Error {
  /** The table code, e.g. `WRONG_SHAPE`. */
  readonly code: ErrorCode;
  /** The HTTP status for this error. */
  readonly statusCode: number;
  constructor(code: ErrorCode, message: string, statusCode: number) {
    super(message);
    this.name = "ServingError";
    this.code = code;
    this.statusCode = statusCode;
  }
}

/**
 * Builds the error `code` with its template filled from `params`.
 * @example throw servingError("MODEL_NOT_FOUND", { model: "resnet" });
 */
export function servingError(code: ErrorCode, params: Record<string, string | number> = {}): ServingError {
  const [status, template] = ERRORS[code];
  const message = template.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : k === "prefix" ? "" : m));
  return new ServingError(code, message, status);
}

/** Triton prefixes request-validation errors with the request id ("<id_unknown>" when none). */
export function requestPrefix(id: string | undefined): string {
  return `[request id: ${id === undefined || id === "" ? "<id_unknown>" : id}] `;
}

/** Maps any thrown value to an HTTP status and message: table errors keep theirs, others are 500. */
export function toHttpError(err: unknown): { status: number; message: string } {
  if (err instanceof ServingError) return { status: err.statusCode, message: err.message };
  const e = err as { statusCode?: number; message?: string };
  if (typeof e?.statusCode === "number" && e.statusCode >= 400) return { status: e.statusCode, message: String(e.message) };
  return { status: 500, message: servingError("INTERNAL", { detail: String(e?.message ?? err) }).message };
}
