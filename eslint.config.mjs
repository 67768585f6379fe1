import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

// The two architectural rules that matter most are enforced here rather than
// left to review: the engine never imports electron (so it runs under plain
// Node for tests, CLI and web host), and raw IPC objects stay inside the host
// wrappers (so every call goes through the typed contract).
const noElectronInEngine = {
  paths: [{ name: 'electron', message: 'The engine runs under plain Node: no electron import below src/main/engine.' }],
  patterns: [{ group: ['electron/*'], message: 'The engine runs under plain Node: no electron import below src/main/engine.' }],
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='ipcRenderer']", message: 'Use the typed api from the preload wrapper, not raw ipcRenderer.' },
        { selector: "MemberExpression[object.name='ipcMain']", message: 'Register handlers through the contract wrapper in hosts/electron/ipc.ts.' },
      ],
    },
  },
  {
    files: ['src/main/engine/**/*.ts', 'src/shared/**/*.ts', 'src/renderer/**/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', noElectronInEngine] },
  },
  {
    // The host wrappers are the one place raw IPC is allowed.
    files: ['src/main/hosts/electron/ipc.ts', 'src/preload/index.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules, 'react-hooks/set-state-in-effect': 'off' },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
