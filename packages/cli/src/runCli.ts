/**
 * `eventfold saga status|attention|retry|resolve`: the operator API (createSagaOperator) on the
 * command line. Everything runs in-process and returns the exit code, so tests call it directly:
 * 0 done, 1 the operation failed (unknown saga, wrong state, store unreachable), 2 bad usage or input.
 */
import { parseArgs } from 'node:util';
import { createSagaOperator, EventfoldError, InvalidInputError, type SagaInstanceStatus, type SagaState } from '@eventfold/core';
import { loadSaga } from './loadSaga.js';
import { openStore, parseStoreUrl, redactStoreUrl } from './openStore.js';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
  /** Relative store paths and saga modules resolve against this. Default process.cwd(). */
  cwd?: string;
}

export const USAGE = `Usage: eventfold saga <command> [options]

Commands:
  saga status <sagaId>                       show a saga's state and its whole log
  saga attention                             list the sagas that need attention
  saga retry <sagaId> [--note <text>]        re-run the failing step phase with a fresh retry budget
  saga resolve <sagaId> --resolution <completed|compensated> --note <text>
                                             end a saga by hand after fixing things outside

Options:
  --store <url>     postgres://user@host:5432/db[?schema=name] or sqlite:<path>  (env EVENTFOLD_STORE)
  --saga <spec>     the saga definition: <module path>#<export name>            (env EVENTFOLD_SAGA)
  --json            machine-readable output
  -h, --help        this text

Exit codes: 0 done, 1 the operation failed, 2 bad usage or input.
`;

class UsageError extends Error {}

const COMMANDS = ['status', 'attention', 'retry', 'resolve'] as const;
type Command = (typeof COMMANDS)[number];

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  let json = argv.includes('--json');
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        store: { type: 'string' },
        saga: { type: 'string' },
        note: { type: 'string' },
        resolution: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    json = values.json;
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const [group, command, sagaId, ...extra] = positionals;
    if (group !== 'saga') throw new UsageError(group === undefined ? 'missing command.' : `unknown command "${group}".`);
    if (!COMMANDS.includes(command as Command)) throw new UsageError(command === undefined ? 'missing saga command.' : `unknown saga command "${command}".`);
    const wantsId = command !== 'attention';
    if (wantsId && sagaId === undefined) throw new UsageError(`"saga ${command}" needs a saga id.`);
    if ((!wantsId && sagaId !== undefined) || extra.length > 0) throw new UsageError(`unexpected argument "${wantsId ? extra[0] : sagaId}".`);
    let resolution: 'Completed' | 'Compensated' | undefined;
    if (command === 'resolve') {
      const r = values.resolution?.toLowerCase();
      if (r !== 'completed' && r !== 'compensated')
        throw new InvalidInputError('--resolution', 'must be completed or compensated (how the saga ended after your fix).');
      if (!values.note?.trim()) throw new InvalidInputError('--note', 'is required for resolve: say what was done by hand, it is kept in the saga log.');
      resolution = r === 'completed' ? 'Completed' : 'Compensated';
    }

    const storeSource = values.store !== undefined ? '--store' : 'EVENTFOLD_STORE';
    const storeUrl = values.store ?? io.env.EVENTFOLD_STORE;
    if (!storeUrl) throw new InvalidInputError('--store', 'no store given: pass --store <url> or set EVENTFOLD_STORE (postgres://… or sqlite:<path>).');
    const sagaSource = values.saga !== undefined ? '--saga' : 'EVENTFOLD_SAGA';
    const sagaSpec = values.saga ?? io.env.EVENTFOLD_SAGA;
    if (!sagaSpec) throw new InvalidInputError('--saga', 'no saga given: pass --saga <module>#<export> or set EVENTFOLD_SAGA.');
    const location = parseStoreUrl(storeUrl, storeSource, cwd);
    const saga = await loadSaga(sagaSpec, sagaSource, cwd);

    const opened = await openStore(location, storeSource);
    try {
      const operator = createSagaOperator({ store: opened.store, saga, timers: opened.timers });
      const out = (value: unknown, human: string) => io.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : human);
      const id = sagaId as string;
      if (command === 'status') {
        const status = await operator.status(id);
        out({ saga: saga.name, ...status }, describeStatus(saga.name, status));
      } else if (command === 'attention') {
        const stuck = await operator.needingAttention();
        out(
          stuck,
          stuck.length === 0
            ? `No ${saga.name} saga needs attention.\n`
            : stuck.map((s) => `${s.sagaId}  ${s.step} (${s.phase}), ${s.attempts} attempt(s): ${s.reason}\n`).join(''),
        );
      } else if (command === 'retry') {
        const state = await operator.retry(id, values.note === undefined ? {} : { note: values.note });
        out({ saga: saga.name, sagaId: id, state }, `Retried ${saga.name} "${id}": now ${describeState(state)}.\n`);
      } else {
        const state = await operator.resolve(id, { resolution: resolution as 'Completed' | 'Compensated', note: values.note as string });
        out({ saga: saga.name, sagaId: id, state }, `Resolved ${saga.name} "${id}": now ${describeState(state)}.\n`);
      }
      return 0;
    } finally {
      await opened.close();
    }
  } catch (error) {
    return report(error, io, json);
  }
}

function report(error: unknown, io: CliIo, json: boolean): number {
  const usage = error instanceof UsageError || (error as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS') === true;
  const exit = usage || error instanceof InvalidInputError ? 2 : 1;
  // Driver errors may echo what they were given; never let a password through.
  const message = redactStoreUrl(error instanceof Error ? error.message : String(error));
  if (json) {
    const body = error instanceof EventfoldError ? { ...error.toJSON(), message } : { code: usage ? 'USAGE' : 'ERROR', message };
    io.stderr.write(`${JSON.stringify({ error: body })}\n`);
  } else {
    io.stderr.write(`eventfold: ${message}${error instanceof EventfoldError ? ` [${error.code}]` : ''}\n`);
  }
  if (usage) io.stderr.write(`\n${USAGE}`);
  return exit;
}

function describeState(state: SagaState): string {
  if (state.status === 'Completed' || state.status === 'Compensated' || state.step === undefined) return state.status;
  return `${state.status} (step ${state.step}, ${state.phase}, attempt ${state.attempt})`;
}

function describeStatus(name: string, status: SagaInstanceStatus): string {
  const { state } = status;
  const lines = [`${name} "${status.sagaId}": ${describeState(state)}`];
  if (state.attention) lines.push(`  needs attention: ${state.attention.reason} (after ${state.attention.attempts} attempt(s))`);
  if (state.failure) lines.push(`  failure: ${state.failure}`);
  lines.push('  history:');
  for (const h of status.history) lines.push(`    ${h.occurredAt.toISOString()}  ${h.type}${describeData(h.data)}`);
  return `${lines.join('\n')}\n`;
}

function describeData(data: unknown): string {
  if (typeof data !== 'object' || data === null) return '';
  const d = data as Record<string, unknown>;
  const parts = ['step', 'phase', 'reason', 'note', 'resolution'].filter((k) => typeof d[k] === 'string' && d[k] !== '').map((k) => `${k}=${String(d[k])}`);
  return parts.length > 0 ? `  ${parts.join(' ')}` : '';
}
