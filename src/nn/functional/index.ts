// flow.nn.functional is written on the nnf branch; this empty module only lets the nn branch build until that
// branch is merged, which replaces this file.
export {};
