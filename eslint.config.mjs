// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

// The functional core (model, rules, engine, report, intent, reachability, remediation planning) imports no SDK and
// does no I/O; adapters and composition roots live outside it. Inner folders never import outer ones.
const ioModules = ['@azure/*', 'node:fs', 'node:fs/*', 'fs', 'node:http', 'node:https', 'node:net', 'node:child_process'];
const outer = ['**/azure/**', '**/alerts/**', '**/functions/**', '**/cli/**'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-results/**', 'bin/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src/model/**', 'src/rules/**', 'src/engine/**', 'src/report/**', 'src/intent/**', 'src/reachability/**', 'src/remediation/plan*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ioModules, message: 'The core is pure: no SDKs and no I/O here; pass an adapter in.' },
        { group: outer, message: 'Inner folders never import outer ones.' },
      ] }],
    },
  },
);
