import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/cli/config-file';
import { loadIntentFile } from '../../src/cli/explain';
import { ConfigError, DEFAULT_CONFIG } from '../../src/engine/config';
import { IntentError } from '../../src/intent/schema';
import { scratchDir } from '../support/scratch';

// The configuration and intent files are YAML (or JSON); a file that cannot be read or parsed is
// refused with its path and the parser's first line, as the error of its kind (exit 2 in the CLI).

const { dir, file } = scratchDir('peerguard-config-');

const PARSER = 'Flow sequence in block collection must be sufficiently indented and end with a ] at line 1, column 9:';

describe('YAML documents: errors name the file', () => {
  it('a configuration file: read, unreadable, not YAML', async () => {
    const good = file('good.yaml', 'rules: {peering-limit-near: off}\n');
    expect((await loadConfigFile(good)).rules['peering-limit-near']).toBe('off');
    const missing = path.join(dir, 'missing.yaml');
    await expect(loadConfigFile(missing)).rejects.toThrow(new ConfigError(`${missing}: cannot read the configuration file: no such file or directory`));
    await expect(loadConfigFile(dir)).rejects.toThrow(new ConfigError(`${dir}: cannot read the configuration file: it is a directory`));
    const bad = file('bad.yaml', 'rules: [');
    await expect(loadConfigFile(bad)).rejects.toThrow(new ConfigError(`${bad}: not valid YAML or JSON (${PARSER})`));
    await expect(loadConfigFile(bad)).rejects.toBeInstanceOf(ConfigError);
  });

  it('an intent file: unreadable, not YAML', async () => {
    const missing = path.join(dir, 'missing-intent.yaml');
    await expect(loadIntentFile(missing)).rejects.toThrow(new IntentError(`${missing}: cannot read the intent file: no such file or directory`));
    const bad = file('bad-intent.yaml', 'rules: [');
    await expect(loadIntentFile(bad)).rejects.toThrow(new IntentError(`${bad}: not valid YAML or JSON (${PARSER})`));
    await expect(loadIntentFile(bad)).rejects.toBeInstanceOf(IntentError);
  });

  it('an empty path is refused, naming the option; no path at all is the default configuration', async () => {
    await expect(loadConfigFile('')).rejects.toThrow(new ConfigError('--config is empty: name a configuration file (YAML or JSON), or leave the option out'));
    await expect(loadIntentFile('')).rejects.toThrow(new IntentError('--intent is empty: name an intent file (YAML or JSON), or leave the option out'));
    expect(await loadConfigFile(undefined)).toBe(DEFAULT_CONFIG);
  });
});
