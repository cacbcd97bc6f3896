/** The URL of this folder's modules; the dev server is ESM-only, so `import.meta` is always there. */
export const poolUrl: string = new URL('.', import.meta.url).href;
