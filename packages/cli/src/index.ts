/** @eventfold/cli — the `eventfold` operator command line, callable in-process too. */

export { type OpenedStore, openStore, parseStoreUrl, redactStoreUrl, type StoreLocation } from './openStore.js';
export { type CliIo, runCli } from './runCli.js';
