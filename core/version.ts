/** The studio's version, written into every saved bundle and run record (kept equal to package.json by a test). */
export const APP_VERSION = '0.1.0';
