/** ONNX opset and IR version of every model flowbook writes (python3-onnx 1.12's checker knows up to opset 17). */
export const OPSET = 17;
/** ONNX IR version matching opset 17. */
export const IR_VERSION = 8;
