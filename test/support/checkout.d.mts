// Types for checkout.mjs (plain JavaScript: the .mjs runners use it under node).
export const ROOT: string;
export function copyCheckout(
  name: string,
  options?: { skip?: string[]; linkModules?: boolean; readableByAll?: boolean },
): { dir: string; remove(): void };
export function openUp(path: string): void;
