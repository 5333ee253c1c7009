/**
 * flowbook's model server: serves a Triton model repository over the KServe v2 / Triton HTTP
 * protocol, and writes repository entries for saved graphs.
 *
 * @example
 * import { serving } from "flowbook";
 * const server = await serving.serve({ modelRepository: "models" });
 * // curl localhost:8000/v2/health/ready ; tritonclient.http works unchanged
 * await server.stop();
 * @packageDocumentation
 */

/** Starts a server; see {@link ServeOptions} and {@link ServerHandle}. */
export { serve, JUPYTER_DISPLAY } from "./serve";
export type { ServeOptions, ServerHandle } from "./serve";
/** Writes one atomic Triton repository entry (config.pbtxt, version dir, labels) for a saved graph. */
export { writeModelEntry, entryConfig } from "./write_entry";
export type { ModelEntry, EntryTensor } from "./write_entry";
/** config.pbtxt: parse, write, complete from ONNX metadata, and Triton's JSON view. */
export { parseConfig, parseConfigJson, writeConfig, completeConfig, configToJson } from "./config";
export type { ModelConfig, TensorConfig, VersionPolicy, ParsedConfig, OnnxIoMeta } from "./config";
/** The model repository (load, unload, index) a server serves. */
export { ModelRepository } from "./repository";
export type { IndexEntry, ModelState, RepositoryOptions } from "./repository";
/** The serving errors table and its error class. */
export { ERRORS, ERROR_DOCS, ServingError, servingError } from "./errors";
export type { ErrorCode } from "./errors";
/** Datatype table linking config, wire, ONNX Runtime and flowbook names. */
export { DTYPES } from "./dtypes";
export type { WireType } from "./dtypes";
/** Encodes BYTES elements as the binary tensor data extension wants them (for clients). */
export { encodeBytesElements } from "./tensor_codec";
/** Devices a server runs on. */
export type { Device } from "./devices";
/** The CLI entry used by `flowbook serve`. */
export { main } from "./cli";
