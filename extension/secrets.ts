/**
 * What the extension keeps in SecretStorage, never in settings: the relay access token and the
 * state needed to resume a session after a window reload (it holds the invite secret and, for the
 * host, the host secret).
 */
import type * as vscode from 'vscode';
import type { ResumeState } from '../client/api';

const TOKEN_KEY = 'pairline.relayToken';
const RESUME_KEY = 'pairline.resumeState';

export class SecretStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async relayToken(): Promise<string | undefined> {
    return (await this.secrets.get(TOKEN_KEY)) || undefined;
  }

  async setRelayToken(token: string | undefined): Promise<void> {
    if (token) await this.secrets.store(TOKEN_KEY, token);
    else await this.secrets.delete(TOKEN_KEY);
  }

  async resumeState(): Promise<ResumeState | undefined> {
    const text = await this.secrets.get(RESUME_KEY);
    if (!text) return undefined;
    try {
      const value = JSON.parse(text) as ResumeState;
      return value.version === 1 && typeof value.session === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  async setResumeState(state: ResumeState | undefined): Promise<void> {
    if (state) await this.secrets.store(RESUME_KEY, JSON.stringify(state));
    else await this.secrets.delete(RESUME_KEY);
  }
}
