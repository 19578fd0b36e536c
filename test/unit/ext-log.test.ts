import * as assert from 'node:assert/strict';
// extension/log.ts imports vscode for types only, so it loads without VS Code.
import { clientLogger, formatFields } from '../../extension/log';

describe('extension log adapter', () => {
  it('redacts fields whose names suggest a secret, whatever the caller passed', () => {
    const text = formatFields({ session: 'abc', token: 't0k3n', inviteSecret: 's3cr3t', resumeToken: 'r', key: 'k', attempt: 2 });
    assert.equal(text, ' {"session":"abc","token":"[redacted]","inviteSecret":"[redacted]","resumeToken":"[redacted]","key":"[redacted]","attempt":2}');
    for (const secret of ['t0k3n', 's3cr3t']) assert.ok(!text.includes(secret));
  });

  it('writes each level to the matching LogOutputChannel method with its scope', () => {
    const lines: string[] = [];
    const channel = {
      debug: (line: string) => lines.push(`debug ${line}`),
      info: (line: string) => lines.push(`info ${line}`),
      warn: (line: string) => lines.push(`warn ${line}`),
      error: (line: string) => lines.push(`error ${line}`),
    };
    const logger = clientLogger(channel as never, 'client');
    logger.info('joined', { participant: 'p1' });
    logger.error('boom', { error: new Error('relay refused') });
    assert.deepEqual(lines, ['info [client] joined {"participant":"p1"}', 'error [client] boom {"error":"relay refused"}']);
  });
});
