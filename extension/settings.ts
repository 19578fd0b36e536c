/**
 * Every `pairline.*` setting, read in one place with typed getters and defaults, and re-read only
 * when the `pairline` section changes. The relay access token is not a setting: it lives in
 * SecretStorage (see secrets.ts).
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { GuestRole } from '../protocol';
import { DEFAULT_EXCLUDE_FILES } from '../client/presence/workspace-files';

export interface PairlineSettings {
  /** Relay new sessions start on. Default `http://127.0.0.1:8787` (a relay on this machine). */
  readonly relayUrl: string;
  /** Name others see. Default: the operating-system user name. */
  readonly displayName: string;
  /** Whether guests wait for the host's approval. Default `prompt`. */
  readonly approval: 'auto' | 'prompt';
  /** Role for guests admitted without choosing. Default `editor`. */
  readonly defaultGuestRole: GuestRole;
  /** Workspace-relative globs never announced nor shared. Default: env files and keys. */
  readonly excludeFiles: readonly string[];
  /** Names next to remote cursors. Default true. */
  readonly showCursorLabels: boolean;
  /** End-to-end encryption of relayed content. Default true. */
  readonly encrypt: boolean;
  /** Host: also keep git-ignored files from guests. Default false. */
  readonly hideGitIgnored: boolean;
  /** Host: largest file guests may open or write, in MB. Default 50. */
  readonly maxSharedFileMB: number;
}

export const SECTION = 'pairline';
export const DEFAULT_RELAY_URL = 'http://127.0.0.1:8787';

export class Settings implements vscode.Disposable {
  private current: PairlineSettings;
  private readonly changed = new vscode.EventEmitter<PairlineSettings>();
  private readonly subscription: vscode.Disposable;

  /** Fires after any `pairline.*` setting changed, with the new values. */
  readonly onDidChange = this.changed.event;

  constructor() {
    this.current = read();
    this.subscription = vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(SECTION)) return;
      this.current = read();
      this.changed.fire(this.current);
    });
  }

  get values(): PairlineSettings {
    return this.current;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function read(): PairlineSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const approval = config.get<string>('approval');
  const role = config.get<string>('defaultGuestRole');
  const excludes = config.get<unknown>('excludeFiles');
  return {
    relayUrl: nonEmpty(config.get<string>('relayUrl')) ?? DEFAULT_RELAY_URL,
    displayName: (nonEmpty(config.get<string>('displayName')) ?? osUserName()).slice(0, 64),
    approval: approval === 'auto' ? 'auto' : 'prompt',
    defaultGuestRole: role === 'viewer' ? 'viewer' : 'editor',
    excludeFiles: Array.isArray(excludes) ? excludes.filter((glob): glob is string => typeof glob === 'string') : DEFAULT_EXCLUDE_FILES,
    showCursorLabels: config.get<boolean>('showCursorLabels') ?? true,
    encrypt: config.get<boolean>('encrypt') ?? true,
    hideGitIgnored: config.get<boolean>('hideGitIgnored') ?? false,
    maxSharedFileMB: positive(config.get<number>('maxSharedFileMB')) ?? 50,
  };
}

function positive(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function osUserName(): string {
  try {
    return nonEmpty(os.userInfo().username) ?? 'VS Code user';
  } catch {
    // userInfo throws when the uid has no passwd entry (containers).
    return 'VS Code user';
  }
}
