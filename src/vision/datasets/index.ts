/** `flow.vision.datasets`: ImageFolder and ImageDB (images in SQLite). */
export { ImageFolder, IMG_EXTENSIONS, scanFolder } from "./folder";
export type { ImageFolderOptions } from "./folder";
export { ImageDB } from "./imagedb";
export type { ImageDBOptions } from "./imagedb";
