import { Dialog, dialogId } from './dialog';

/** All live dialogs, by drachtio dialog id. */
export class DialogStore {
  private readonly byId = new Map<string, Dialog>();

  get size(): number {
    return this.byId.size;
  }

  add(dialog: Dialog): void {
    this.byId.set(dialog.id, dialog);
  }

  get(id: string): Dialog | undefined {
    return this.byId.get(id);
  }

  remove(dialog: Dialog): void {
    dialog.state = 'terminated';
    dialog.stopSessionTimer();
    if (this.byId.get(dialog.id) === dialog) this.byId.delete(dialog.id);
  }

  /**
   * Finds the dialog of an incoming in-dialog request: as UAS the peer's From tag named the dialog, as
   * UAC our own tag (now in the request's To) did. The tags are checked so a stale id cannot match.
   */
  match(callId: string, fromTag: string, toTag: string): Dialog | undefined {
    const uas = this.byId.get(dialogId(callId, fromTag));
    if (uas && uas.role === 'uas' && uas.localTag === toTag) return uas;
    const uac = this.byId.get(dialogId(callId, toTag));
    if (uac && uac.role === 'uac' && uac.remoteTag === fromTag) return uac;
    return undefined;
  }

  /**
   * A confirmed dialog the peer created with that From tag: a request without To-tag that matches one is
   * not new (sofia's leg_find matches it loosely; drachtio answers such an INVITE 491).
   */
  confirmedUas(callId: string, fromTag: string): Dialog | undefined {
    const d = this.byId.get(dialogId(callId, fromTag));
    return d && d.role === 'uas' && d.state === 'confirmed' ? d : undefined;
  }

  /** Any dialog with that Call-ID (for an app request whose Call-ID belongs to a dialog, §3.4). */
  findByCallId(callId: string): Dialog | undefined {
    for (const d of this.byId.values()) if (d.callId === callId && d.state === 'confirmed') return d;
    return undefined;
  }

  /** Dialogs owned by an app connection (to end them when it disconnects). */
  removeOwnedBy(ownerId: number): Dialog[] {
    const out: Dialog[] = [];
    for (const d of this.byId.values()) if (d.ownerId === ownerId) out.push(d);
    return out;
  }

  clear(): void {
    for (const d of this.byId.values()) d.stopSessionTimer();
    this.byId.clear();
  }
}
