import ts from 'typescript';
import { defaultServerConditions } from 'vite';
import { defineConfig, type Plugin } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the "@eventfold/source" export condition.
// Tests that disturb or are timed against shared servers run alone, after the parallel tiers: the
// gap/torture tests hold PostgreSQL transactions open on purpose; the RabbitMQ recovery test closes every
// connection on the broker (other files' too); the retry test checks TTL delays to ±20%.
const exclusive = ['packages/postgres/src/gapFreeLog.int.test.ts', 'packages/rabbitmq/src/recovery.int.test.ts', 'packages/rabbitmq/src/retries.int.test.ts'];
const resolve = { conditions: ['@eventfold/source', ...defaultServerConditions] };
// Vite 8's Oxc transform only knows legacy decorators and Node 20 cannot parse TC39 ones, so files using
// standard decorators (the @eventfold/core decorator API) are lowered by TypeScript itself first.
const standardDecorators: Plugin = {
  name: 'eventfold:tc39-decorators',
  enforce: 'pre',
  transform(code, id) {
    if (!/\.m?ts$/.test(id) || id.includes('/node_modules/') || !/^\s*@[A-Za-z_$]/m.test(code)) return null;
    const out = ts.transpileModule(code, {
      fileName: id,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: true, verbatimModuleSyntax: true },
    });
    return { code: out.outputText.replace(/\n\/\/# sourceMappingURL=.*$/, ''), map: out.sourceMapText ?? null };
  },
};
const shared = { root: '.', resolve, plugins: [standardDecorators], ssr: { resolve: { conditions: resolve.conditions } } };

export default defineConfig({
  test: {
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/*.e2e.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        ...shared,
        test: {
          name: 'int',
          include: ['packages/*/src/**/*.int.test.ts', 'apps/*/src/**/*.int.test.ts'],
          exclude: [...exclusive, '**/node_modules/**'],
          // Starts the local Kafka broker (infra/kafka) unless 127.0.0.1:9092 already accepts connections.
          globalSetup: ['infra/kafka/globalSetup.mjs'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          // Integration files share one PostgreSQL and one broker; two at a time keeps the 2-core machines honest.
          maxWorkers: 2,
          fileParallelism: true,
          sequence: { groupOrder: 1 },
        },
      },
      {
        ...shared,
        test: {
          // See `exclusive` above: one file at a time, nothing else running.
          name: 'int-exclusive',
          include: exclusive,
          testTimeout: 600_000,
          maxWorkers: 1,
          sequence: { groupOrder: 3 },
        },
      },
      {
        ...shared,
        test: {
          name: 'e2e',
          include: ['packages/*/src/**/*.e2e.test.ts', 'apps/*/src/**/*.e2e.test.ts', 'examples/*/src/**/*.e2e.test.ts'],
          globalSetup: ['infra/kafka/globalSetup.mjs'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
