/** Every layer module, one family per file. */
export * from "./linear";
export * from "./conv";
export * from "./normalization";
export * from "./dropout";
export * from "./sparse";
export * from "./activation";
export * from "./pooling";
export * from "./flatten";
export * from "./container";
export * from "./loss";
export type { FactoryOptions } from "./common";
