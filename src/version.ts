/** RunForge's version, as recorded in `created_by: "runforge@<version>"`. Kept equal to package.json by a test. */
export const VERSION = '0.6.0';
export const CREATED_BY = `runforge@${VERSION}`;
