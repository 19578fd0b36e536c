/**
 * Path safety of the host's shared folders, without sockets: every traversal form is refused,
 * symlinks are judged by where they really lead, and no resolved path ever lies outside.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as nodePath from 'node:path';
import fc from 'fast-check';
import { ExcludeMatcher, noIgnores } from '../../client/files/share-filter';
import { FileAccessError, SharedFolders } from '../../client/files/shared-folders';
import { makeFolderFixture, type FolderFixture } from '../support/files-pair';

async function refusal(promise: Promise<unknown> | (() => unknown)): Promise<FileAccessError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    assert.ok(err instanceof FileAccessError, `expected a FileAccessError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the path to be refused');
}

describe('shared folders: path safety', () => {
  let fixture: FolderFixture;
  let folders: SharedFolders;
  let sharedReal: string;

  before(async () => {
    fixture = await makeFolderFixture({ hugeCount: 0 });
    folders = await SharedFolders.open([{ path: fixture.shared }], new ExcludeMatcher(), () => noIgnores);
    sharedReal = await fs.realpath(fixture.shared);
  });
  after(() => fixture.remove());

  const resolve = (path: string) => folders.resolve(folders.locate(path));

  it('resolves ordinary paths inside the folder, normalised', async () => {
    const resolved = await resolve('./src//./a.ts');
    assert.equal(resolved.wirePath, 'src/a.ts');
    assert.equal(resolved.realPath, nodePath.join(sharedReal, 'src', 'a.ts'));
    assert.equal((await resolve('src\\a.ts')).wirePath, 'src/a.ts');
    assert.equal((await resolve('.')).realPath, sharedReal);
  });

  const traversals = [
    '..', '../outside/secret.txt', 'src/../../outside/secret.txt', '..\\outside\\secret.txt',
    'src\\..\\..\\outside', '%2e%2e/outside/secret.txt', '%2E%2E%2Foutside', '..%2foutside', '..%5Coutside',
    '/etc/passwd', '\\etc\\passwd', 'C:\\Windows\\win.ini', 'c:/x', 'C:relative', '\\\\server\\share\\x',
    '//server/share', 'src/a.ts\0.png', '\0',
  ];
  for (const path of traversals) {
    it(`refuses ${JSON.stringify(path)} as outside the workspace`, async () => {
      const error = await refusal(() => resolve(path));
      assert.equal(error.code, 'outside-workspace');
    });
  }

  it('refuses a symlink to a file outside, and paths through a symlinked folder outside', async () => {
    assert.equal((await refusal(resolve('link-out'))).code, 'outside-workspace');
    assert.equal((await refusal(resolve('linkdir-out/secret.txt'))).code, 'outside-workspace');
    assert.equal((await refusal(resolve('linkdir-out'))).code, 'outside-workspace');
  });

  it('refuses creating a file through a dangling symlink', async () => {
    await fs.symlink(nodePath.join(fixture.outside, 'new-file.txt'), nodePath.join(fixture.shared, 'dangling'));
    try {
      assert.equal((await refusal(resolve('dangling'))).code, 'outside-workspace');
    } finally {
      await fs.unlink(nodePath.join(fixture.shared, 'dangling'));
    }
  });

  it('follows a symlink that stays inside, but not one that leads to an excluded file', async () => {
    assert.equal((await resolve('link-in')).realPath, nodePath.join(sharedReal, 'src', 'a.ts'));
    assert.equal((await refusal(resolve('link-env'))).code, 'excluded');
  });

  it('refuses excluded files under any case spelling', async () => {
    for (const path of ['.env', '.ENV', 'config/.Env.Local', 'certs/server.PEM', 'ID_RSA', 'keys/app.KEY', '.git/config', '.GIT/hooks/pre-commit']) {
      const error = await refusal(resolve(path));
      assert.equal(error.code, 'excluded', path);
    }
    assert.equal((await refusal(resolve('.env'))).message, 'The host does not share .env files.');
  });

  it('judges a shared folder reached through a symlink by its real path', async () => {
    const alias = nodePath.join(fixture.base, 'alias');
    await fs.symlink(fixture.shared, alias);
    const viaAlias = await SharedFolders.open([{ path: alias, name: 'work' }], new ExcludeMatcher(), () => noIgnores);
    assert.equal((await viaAlias.resolve(viaAlias.locate('src/a.ts'))).realPath, nodePath.join(sharedReal, 'src', 'a.ts'));
    assert.equal((await refusal(viaAlias.resolve(viaAlias.locate('link-out')))).code, 'outside-workspace');
  });

  it('with several folders, the first segment names the folder exactly and `.` is virtual', async () => {
    const several = await SharedFolders.open([{ path: fixture.shared, name: 'work' }, { path: fixture.outside, name: 'other' }], new ExcludeMatcher(), () => noIgnores);
    assert.equal(several.prefixed, true);
    assert.equal((await several.resolve(several.locate('work/src/a.ts'))).realPath, nodePath.join(sharedReal, 'src', 'a.ts'));
    assert.equal(several.locate('.').folder, undefined);
    assert.equal((await refusal(() => several.locate('WORK/src/a.ts'))).code, 'not-found');
    // A link from one shared folder into another is still "outside" its own folder.
    assert.equal((await refusal(several.resolve(several.locate('work/link-out')))).code, 'outside-workspace');
    await assert.rejects(SharedFolders.open([{ path: fixture.shared, name: 'x' }, { path: fixture.outside, name: 'X' }], new ExcludeMatcher(), () => noIgnores), /two shared folders/);
  });

  it('never resolves a generated path to anything outside the folder (property)', async () => {
    const segment = fc.constantFrom('..', '.', '', 'src', 'nested', 'a.ts', '%2e%2e', '..\\..', 'link-out', 'linkdir-out', 'link-in', 'C:', '~', '...', 'secret.txt', 'outside');
    await fc.assert(fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.constantFrom('/', '\\'), async (segments, separator) => {
      const path = segments.join(separator);
      try {
        const resolved = await resolve(path);
        for (const candidate of [resolved.entryPath, resolved.realPath]) {
          if (candidate === undefined) continue;
          const relative = nodePath.relative(sharedReal, candidate);
          assert.ok(relative !== '..' && !relative.startsWith(`..${nodePath.sep}`) && !nodePath.isAbsolute(relative), `${path} resolved to ${candidate}`);
        }
      } catch (err) {
        assert.ok(err instanceof FileAccessError, `${path}: ${String(err)}`);
      }
    }), { numRuns: 300 });
  });
});
