/**
 * `flow.vision`: transforms, datasets and the model zoo (torchvision's counterparts).
 */
export * as transforms from "./transforms/index";
export * as datasets from "./datasets/index";
export * as models from "./models/index";
