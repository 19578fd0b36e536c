/**
 * The CLI's file commands: `ls` lists through RemoteFiles, `read` returns text for UTF-8 and
 * base64 for binary files, and a refusal becomes an error event with the host's sentence.
 */
import assert from 'node:assert/strict';
import { fileErrorEvent, runLs, runRead } from '../../client/cli/files-commands';
import { RemoteFileError } from '../../client/files/remote-file-error';

describe('shared files: CLI commands', () => {
  const contents = new Map<string, Uint8Array>([
    ['src/a.ts', Buffer.from('const é = 1;\r\n', 'utf8')],
    ['image.bin', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff])],
    ['latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9])],
  ]);
  const files = {
    readDirectory: (path: string) => Promise.resolve(path === '.' ? [{ name: 'src', type: 'directory' as const }] : []),
    readFile: (path: string) => {
      const bytes = contents.get(path);
      return bytes ? Promise.resolve(bytes) : Promise.reject(new RemoteFileError('excluded', 'The host does not share .env files.'));
    },
  };

  it('lists a folder', async () => {
    assert.deepEqual(await runLs(files, { cmd: 'ls', path: '.' }), { event: 'ls', path: '.', entries: [{ name: 'src', type: 'directory' }] });
    assert.deepEqual((await runLs(files, { cmd: 'ls' })).path, '.');
  });

  it('reads UTF-8 as text and anything else as base64, byte for byte', async () => {
    assert.deepEqual(await runRead(files, { cmd: 'read', file: 'src/a.ts' }), { event: 'file', file: 'src/a.ts', size: 15, text: 'const é = 1;\r\n' });
    const binary = await runRead(files, { cmd: 'read', file: 'image.bin' });
    assert.ok('base64' in binary);
    assert.deepEqual(Buffer.from(binary.base64, 'base64'), Buffer.from(contents.get('image.bin') ?? []));
    assert.ok('base64' in (await runRead(files, { cmd: 'read', file: 'latin1.txt' })));
  });

  it('turns a refusal into an error event', async () => {
    const event = await runRead(files, { cmd: 'read', file: '.env' }).then(() => undefined, fileErrorEvent);
    assert.deepEqual(event, { event: 'error', code: 'excluded', message: 'The host does not share .env files.' });
  });
});
