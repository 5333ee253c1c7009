/**
 * `flow.nn`: modules, layers and (as `flow.nn.functional`) the functional API.
 * @packageDocumentation
 */
export * as functional from "./functional";
