/** The emitters behind SessionClient's events, in one disposable bundle, and a deferred promise. */
import type {
  ClientError, Inbound, JoinInfo, Knock, RemotePresence, ResumeState, RosterChange, RoundTrip, StateChange,
} from './api';
import { Emitter, type Disposable } from './events';

export class SessionEvents implements Disposable {
  readonly state = new Emitter<StateChange>();
  readonly join = new Emitter<JoinInfo>();
  readonly roster = new Emitter<RosterChange>();
  readonly presence = new Emitter<RemotePresence>();
  readonly roundTrip = new Emitter<RoundTrip>();
  readonly knock = new Emitter<Knock>();
  readonly withdraw = new Emitter<{ participant: string; reason: string }>();
  readonly receive = new Emitter<Inbound>();
  readonly error = new Emitter<ClientError>();
  readonly following = new Emitter<{ participant: string | undefined; reason: string }>();
  readonly resumeState = new Emitter<ResumeState | undefined>();

  dispose(): void {
    for (const emitter of [this.state, this.join, this.roster, this.presence, this.roundTrip, this.knock,
      this.withdraw, this.receive, this.error, this.following, this.resumeState]) emitter.dispose();
  }
}

/** A promise with its settle functions, for "resolves once X happens" APIs. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: Error): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((onResolve, onReject) => { resolve = onResolve; reject = onReject; });
  // Only those who await it should see a rejection; an ignored one must not crash the process.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
