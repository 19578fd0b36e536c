/**
 * What the host never shares: exclude patterns (defaults, custom, folders above, case) and
 * git-ignored files (real `git` in a temporary repository; nothing is ignored outside one).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { ExcludeMatcher, GitIgnoreOracle } from '../../client/files/share-filter';
import { silentLogger } from '../../client/ports';

describe('shared files: exclude patterns', () => {
  const defaults = new ExcludeMatcher();

  it('hides the default secrets at any depth', () => {
    for (const path of ['.env', 'api/.env', '.env.local', 'deploy/.env.production', 'server.pem', 'certs/ca.pem', 'tls.key', 'a/b/c/app.key', 'id_rsa', 'home/.ssh/id_rsa.pub', 'id_rsa_work']) {
      assert.equal(defaults.isExcluded(path), true, path);
    }
  });

  it('shares ordinary files, including ones that merely look similar', () => {
    for (const path of ['.', 'README.md', 'src/env.ts', 'environment.txt', 'docs/.envrc-notes', 'keys.md', 'key/readme', 'pem/readme.md', 'my_id_rsa.txt', '.github/workflows/ci.yml', '.gitignore']) {
      assert.equal(defaults.isExcluded(path), false, path);
    }
  });

  it('always hides .git and everything in it, whatever the patterns', () => {
    const none = new ExcludeMatcher([]);
    assert.equal(none.isExcluded('.git'), true);
    assert.equal(none.isExcluded('.git/config'), true);
    assert.equal(none.isExcluded('vendor/lib/.git/hooks/pre-commit'), true);
    assert.equal(none.isExcluded('.env'), false, 'an empty list really replaces the defaults');
  });

  it('hides everything under an excluded folder, and matches whatever the case', () => {
    const custom = new ExcludeMatcher(['secrets', '**/node_modules', 'build/**/*.map']);
    assert.equal(custom.isExcluded('secrets/a/b.txt'), true);
    assert.equal(custom.isExcluded('web/node_modules/x/index.js'), true);
    assert.equal(custom.isExcluded('build/js/app.js.map'), true);
    assert.equal(custom.isExcluded('build/js/app.js'), false);
    assert.equal(custom.isExcluded('src/secrets/a.txt'), false, 'a pattern without ** anchors at the folder root');
    assert.equal(defaults.isExcluded('.ENV'), true);
    assert.equal(defaults.isExcluded('Certs/CA.PEM'), true);
    assert.equal(custom.excludedPart('secrets/a/b.txt'), 'secrets');
  });
});

describe('shared files: git-ignored files', () => {
  let base: string;
  before(async () => {
    base = await fs.mkdtemp(nodePath.join(os.tmpdir(), 'pairline-git-'));
  });
  after(() => fs.rm(base, { recursive: true, force: true }));

  it('reports ignored files and folders (and files inside them), and forgets on invalidate', async () => {
    const repo = nodePath.join(base, 'repo');
    await fs.mkdir(nodePath.join(repo, 'build'), { recursive: true });
    execFileSync('git', ['init', '-q'], { cwd: repo });
    await fs.writeFile(nodePath.join(repo, '.gitignore'), 'build/\n*.log\n');
    await fs.writeFile(nodePath.join(repo, 'build', 'out.js'), '');
    const oracle = new GitIgnoreOracle(repo, silentLogger);
    const ignored = await oracle.ignored(['build', 'build/out.js', 'debug.log', 'src/a.ts', '.gitignore']);
    assert.deepEqual([...ignored].sort(), ['build', 'build/out.js', 'debug.log']);
    // Cached until invalidated: a new rule is seen only after invalidate().
    await fs.appendFile(nodePath.join(repo, '.gitignore'), 'src/\n');
    assert.equal((await oracle.ignored(['src/a.ts'])).size, 0);
    oracle.invalidate();
    assert.deepEqual([...(await oracle.ignored(['src/a.ts']))], ['src/a.ts']);
  });

  it('ignores nothing when the folder is not in a git work tree', async () => {
    const plain = nodePath.join(base, 'plain');
    await fs.mkdir(plain);
    // A .gitignore alone does not make a repository.
    await fs.writeFile(nodePath.join(plain, '.gitignore'), '*.log\n');
    const oracle = new GitIgnoreOracle(plain, silentLogger);
    assert.equal((await oracle.ignored(['debug.log', 'a.txt'])).size, 0);
  });
});
