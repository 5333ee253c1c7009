/**
 * flow.nn: Module and Parameter, the layers, initialisers (`nn.init`), utilities (`nn.utils`) and the
 * functional API (`nn.functional`).
 * @packageDocumentation
 */
export { Module } from "./module";
export type { StateDict, IncompatibleKeys, RemovableHandle, ForwardHook, ForwardPreHook } from "./module";
export { Parameter } from "./parameter";
export * from "./layers/index";
export * as init from "./init";
export * as utils from "./utils";
export * as functional from "./functional";
export { Graph } from "../graph/graph";
