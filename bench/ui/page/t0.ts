/** Imported first by the bench page: when the bundle started to run, since navigation. */
(window as unknown as { benchScriptStart: number }).benchScriptStart = performance.now();
