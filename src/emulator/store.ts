/**
 * The emulator's contacts: a Map in creation order plus an email index. A Map keeps insertion
 * order, which is what GET all returns ("creation order"); `set` on an existing key keeps its
 * place, and delete + re-create moves it to the end. Contacts are replaced, never mutated, so
 * a snapshot taken for a streaming GET all stays a consistent point in time.
 */
import type { Contact } from '../contact/schema.js';

export interface ContactStore {
  readonly size: number;
  get(systemId: string): Contact | undefined;
  /** The system_id holding this email, compared case-insensitively ("two contacts cannot share the same email address"). */
  emailOwner(email: string): string | undefined;
  /** Inserts or replaces. Throws when another contact holds the email: callers check first. */
  set(contact: Contact): void;
  delete(systemId: string): boolean;
  /** A snapshot in creation order. */
  values(): Contact[];
}

/** Email uniqueness is case-insensitive: `Tim@X.com` and `tim@x.com` are the same address. */
export function emailKey(email: string): string {
  return email.toLowerCase();
}

/** `onChange` runs after every change (the persister's debounce hangs on it). */
export function createContactStore(onChange: () => void = () => {}): ContactStore {
  const contacts = new Map<string, Contact>();
  const byEmail = new Map<string, string>();

  const releaseEmail = (contact: Contact | undefined): void => {
    if (contact?.email == null) return;
    const key = emailKey(contact.email);
    if (byEmail.get(key) === contact.system_id) byEmail.delete(key);
  };

  return {
    get size() {
      return contacts.size;
    },
    get: (systemId) => contacts.get(systemId),
    emailOwner: (email) => byEmail.get(emailKey(email)),
    set(contact) {
      if (contact.email !== null) {
        const owner = byEmail.get(emailKey(contact.email));
        if (owner !== undefined && owner !== contact.system_id) {
          throw new Error(
            `contact ${contact.system_id}: the email ${contact.email} already belongs to contact ${owner}`,
          );
        }
      }
      releaseEmail(contacts.get(contact.system_id));
      contacts.set(contact.system_id, contact);
      if (contact.email !== null) byEmail.set(emailKey(contact.email), contact.system_id);
      onChange();
    },
    delete(systemId) {
      const existing = contacts.get(systemId);
      if (existing === undefined) return false;
      releaseEmail(existing);
      contacts.delete(systemId);
      onChange();
      return true;
    },
    values: () => Array.from(contacts.values()),
  };
}
