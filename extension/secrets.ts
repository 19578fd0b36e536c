/**
 * What the extension keeps in SecretStorage, never in settings: the relay access token and the
 * state needed to resume a session after a window reload (it holds the invite secret and, for the
 * host, the host secret).
 */
import type * as vscode from 'vscode';
import type { ResumeState } from '../client/api';

const TOKEN_KEY = 'pairline.relayToken';
const RESUME_KEY = 'pairline.resumeState';

/**
 * A stored session older than this is not resumed automatically: it is meant for window reloads,
 * not for reopening VS Code the next day into yesterday's session.
 */
export const RESUME_MAX_AGE_MS = 10 * 60_000;

interface StoredResume {
  readonly savedAt: number;
  readonly state: ResumeState;
}

export class SecretStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async relayToken(): Promise<string | undefined> {
    return (await this.secrets.get(TOKEN_KEY)) || undefined;
  }

  async setRelayToken(token: string | undefined): Promise<void> {
    if (token) await this.secrets.store(TOKEN_KEY, token);
    else await this.secrets.delete(TOKEN_KEY);
  }

  /** The stored session, if saved within {@link RESUME_MAX_AGE_MS} of `now`. */
  async resumeState(now = Date.now()): Promise<ResumeState | undefined> {
    const text = await this.secrets.get(RESUME_KEY);
    if (!text) return undefined;
    try {
      const stored = JSON.parse(text) as StoredResume;
      const fresh = typeof stored.savedAt === 'number' && now - stored.savedAt <= RESUME_MAX_AGE_MS;
      return fresh && stored.state?.version === 1 && typeof stored.state.session === 'string' ? stored.state : undefined;
    } catch {
      return undefined;
    }
  }

  async setResumeState(state: ResumeState | undefined): Promise<void> {
    if (state) await this.secrets.store(RESUME_KEY, JSON.stringify({ savedAt: Date.now(), state } satisfies StoredResume));
    else await this.secrets.delete(RESUME_KEY);
  }
}
