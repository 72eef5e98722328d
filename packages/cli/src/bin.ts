#!/usr/bin/env node
/** The `eventfold` executable: all logic lives in runCli so it can be tested in-process. */
import { runCli } from './runCli.js';

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
