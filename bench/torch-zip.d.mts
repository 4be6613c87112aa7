/** Writes a torch zip checkpoint whose float32 storages (`numels` elements each) are holes; returns its size. */
export function writeSparseTorchZip(file: string, numels: number[]): number;
