/**
 * `flow.vision`: transforms and datasets (torchvision's counterparts). The model zoo joins as `models`.
 */
export * as transforms from "./transforms/index";
export * as datasets from "./datasets/index";
