import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the "@eventfold/source" export condition.
const resolve = { conditions: ['@eventfold/source', 'module', 'node', 'import', 'default'] };
const shared = { root: '.', resolve, ssr: { resolve: { conditions: resolve.conditions, externalConditions: ['@eventfold/source'] } } };

export default defineConfig({
  test: {
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts'],
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
          name: 'e2e',
          include: ['packages/*/src/**/*.e2e.test.ts', 'apps/*/src/**/*.e2e.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
