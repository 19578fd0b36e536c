import * as assert from 'node:assert/strict';
import {
  authorityOf, errorKindOf, formatSize, missingFolders, plannedFolders, progressText, sameSession, uriPathOf, wirePathOf,
} from '../../extension/workspace/remote-paths';

const folder = (authority: string, path: string, scheme = 'pairline') => ({ scheme, authority, path });

describe('guest workspace: pairline: URIs and wire paths', () => {
  it('maps URI paths to wire paths and back, with the folder itself as "."', () => {
    assert.deepEqual(wirePathOf('/'), { ok: true, path: '.' });
    assert.deepEqual(wirePathOf(''), { ok: true, path: '.' });
    assert.deepEqual(wirePathOf('/src/a.ts'), { ok: true, path: 'src/a.ts' });
    assert.deepEqual(wirePathOf('/api/'), { ok: true, path: 'api' });
    assert.equal(uriPathOf('.'), '/');
    assert.equal(uriPathOf('src/a.ts'), '/src/a.ts');
    for (const wire of ['src/a.ts', 'api/src/deep/x.json', 'README.md']) {
      assert.deepEqual(wirePathOf(uriPathOf(wire)), { ok: true, path: wire });
    }
  });

  it('refuses URI paths that would leave the share', () => {
    for (const path of ['/../etc/passwd', '/src/../../x', '/%2e%2e/x', '/a\\..\\..\\b']) {
      assert.equal(wirePathOf(path).ok, false, path);
    }
  });

  it('plans one folder for a single share and one per root for several', () => {
    assert.deepEqual(plannedFolders({ roots: [{ name: 'shop' }], prefixed: false }), [{ path: '/', name: 'shop' }]);
    assert.deepEqual(plannedFolders({ roots: [{ name: 'api' }, { name: 'web' }], prefixed: true }), [
      { path: '/api', name: 'api' }, { path: '/web', name: 'web' },
    ]);
  });

  it('finds the folders still to add, ignoring local folders and other sessions', () => {
    const planned = [{ path: '/api', name: 'api' }, { path: '/web', name: 'web' }];
    const current = [folder('', '/home/me/p', 'file'), folder(authorityOf('S1'), '/api'), folder(authorityOf('OTHER'), '/web')];
    assert.deepEqual(missingFolders(current, 'S1', planned), [{ path: '/web', name: 'web' }]);
    assert.deepEqual(missingFolders([folder(authorityOf('S1'), '/')], 'S1', [{ path: '/', name: 'shop' }]), []);
    assert.deepEqual(missingFolders([folder(authorityOf('S1'), '')], 'S1', [{ path: '/', name: 'shop' }]), [], 'an empty path is the root');
  });

  it('names a session in a URI authority that survives VS Code lowercasing it', () => {
    const session = 'IAzEaLsjktklmEuJAqXFaa';
    const authority = authorityOf(session);
    assert.match(authority, /^[0-9a-f]+$/);
    assert.equal(sameSession(authority, session), true);
    assert.equal(sameSession(authority.toUpperCase(), session), true);
    assert.equal(sameSession(authorityOf('iazealsjktklmeujaqxfaa'), session), false, 'ids differing only in case are different sessions');
    assert.equal(sameSession(authority, undefined), false);
  });

  it('turns each refusal code into the VS Code error kind the editor understands', () => {
    assert.equal(errorKindOf('not-found'), 'FileNotFound');
    assert.equal(errorKindOf('excluded'), 'NoPermissions');
    assert.equal(errorKindOf('outside-workspace'), 'NoPermissions');
    assert.equal(errorKindOf('forbidden'), 'NoPermissions');
    assert.equal(errorKindOf('too-large'), 'NoPermissions');
    assert.equal(errorKindOf('host-offline'), 'Unavailable');
    assert.equal(errorKindOf('timeout'), 'Unavailable');
    assert.equal(errorKindOf('exists'), 'FileExists');
    assert.equal(errorKindOf('is-directory'), 'FileIsADirectory');
    assert.equal(errorKindOf('not-directory'), 'FileNotADirectory');
  });

  it('describes read progress in readable sizes', () => {
    assert.equal(formatSize(512), '512 bytes');
    assert.equal(formatSize(2048), '2 KB');
    assert.equal(progressText(3 * 1024 * 1024, 12 * 1024 * 1024), '3.0 MB of 12.0 MB');
  });
});
