import * as assert from 'node:assert/strict';
import { PALETTE_SIZE, paletteSlot, participantColorId } from '../../client/presence/colors';
import {
  DEFAULT_EXCLUDE_FILES, ExcludeFilter, absoluteWorkspacePath, relativeWorkspacePath,
} from '../../client/presence/workspace-files';

describe('participant colours', () => {
  it('maps roster colour indexes onto the 8 contributed theme colours', () => {
    assert.equal(PALETTE_SIZE, 8);
    assert.equal(participantColorId(0), 'pairline.participant1');
    assert.equal(participantColorId(7), 'pairline.participant8');
    assert.equal(participantColorId(8), 'pairline.participant1');
    assert.equal(participantColorId(13), 'pairline.participant6');
  });

  it('gives distinct colours to the first 8 participants', () => {
    const ids = new Set(Array.from({ length: 8 }, (_, i) => participantColorId(i)));
    assert.equal(ids.size, 8);
  });

  it('clamps nonsense input instead of producing an unknown colour id', () => {
    assert.equal(paletteSlot(-3), 0);
    assert.equal(paletteSlot(Number.NaN), 0);
    assert.equal(paletteSlot(2.7), 2);
  });
});

describe('workspace-relative presence paths', () => {
  it('names files inside the workspace by POSIX relative path', () => {
    assert.equal(relativeWorkspacePath('/home/ada/project', '/home/ada/project/src/a.ts'), 'src/a.ts');
    assert.equal(relativeWorkspacePath('/home/ada/project/', '/home/ada/project/a.ts'), 'a.ts');
    assert.equal(relativeWorkspacePath('C:\\work\\proj', 'c:\\Work\\proj\\src\\b.ts'), 'src/b.ts');
  });

  it('refuses files outside the workspace, including prefix look-alikes', () => {
    assert.equal(relativeWorkspacePath('/home/ada/project', '/home/ada/project-old/a.ts'), undefined);
    assert.equal(relativeWorkspacePath('/home/ada/project', '/etc/passwd'), undefined);
    assert.equal(relativeWorkspacePath('/home/ada/project', '/home/ada/project'), undefined);
  });

  it('maps wire paths back onto the local folder and refuses escapes', () => {
    assert.equal(absoluteWorkspacePath('/home/bob/checkout', 'src/a.ts'), '/home/bob/checkout/src/a.ts');
    assert.equal(absoluteWorkspacePath('C:\\bob\\checkout', 'src/a.ts'), 'C:\\bob\\checkout\\src\\a.ts');
    assert.equal(absoluteWorkspacePath('/home/bob/checkout', '../secret'), undefined);
    assert.equal(absoluteWorkspacePath('/home/bob/checkout', '/etc/passwd'), undefined);
  });

  it('never announces files matching the default excludes', () => {
    const filter = new ExcludeFilter(DEFAULT_EXCLUDE_FILES);
    for (const path of ['.env', 'config/.env', '.env.local', 'certs/server.pem', 'a/b/tls.key', '.ssh/id_rsa', 'id_rsa.pub']) {
      assert.equal(filter.isExcluded(path), true, path);
    }
    for (const path of ['src/env.ts', 'README.md', 'keys/index.ts', 'src/.envrc.md']) {
      assert.equal(filter.isExcluded(path), false, path);
    }
  });

  it('skips a malformed glob instead of excluding nothing at all', () => {
    const filter = new ExcludeFilter(['[', '**/*.secret']);
    assert.equal(filter.isExcluded('a/b.secret'), true);
    assert.equal(filter.isExcluded('a/b.ts'), false);
  });
});
