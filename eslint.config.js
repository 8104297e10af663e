// Lint rules: typescript-eslint's recommended set, plus the project's own boundaries
// (process.env only in config, no console in library code).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'dist/', 'scratch/', 'src/client/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings through src/config.ts only.' },
      ],
    },
  },
  // Module boundaries (docs/architecture.md, "Boundaries"): another module is imported only through its
  // public entry, index.ts. A file N folders inside its module reaches another module by N+1 "../".
  ...[1, 2].map((depth) => ({
    files: [`src/modules/*/${'*/'.repeat(depth - 1)}*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^${'\\.\\./'.repeat(depth)}[a-z0-9-]+/(?!index\\.js$).+$`,
              message: 'Import another module only through its index.ts (its public entry).',
            },
          ],
        },
      ],
    },
  })),
  {
    // Query building belongs in repositories (and db/, infra/), and nowhere else in a module.
    files: ['src/modules/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom)$/]',
          message: 'Build queries in a *.repository.ts file and call it from the service.',
        },
      ],
    },
  },
  {
    files: ['src/modules/**/*.repository.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The config loader and the process entry points are the places allowed to read the environment.
    files: ['src/config.ts', 'src/cli.ts', 'test/**', 'bench/**', 'scripts/**', 'bin/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['src/client/**/*.js'],
    languageOptions: { globals: { document: 'readonly', window: 'readonly' } },
  },
);
