/** A page as the development inbox received it. */
export interface InboxPage {
  contactId: string;
  idempotencyKey: string;
  receivedAt: string;
  payload: unknown;
}

const MAX_PAGES = 1000;

/**
 * An in-memory page receiver for development. It drops a page whose
 * idempotency key it has seen, as a real receiver must, and keeps the latest
 * 1000 pages.
 */
export class DevInbox {
  private readonly pages: InboxPage[] = [];
  private readonly seenKeys = new Set<string>();

  /** Stores a page; returns false when the key was seen before. */
  receive(page: InboxPage): boolean {
    if (this.seenKeys.has(page.idempotencyKey)) return false;

    this.seenKeys.add(page.idempotencyKey);
    this.pages.push(page);
    if (this.pages.length > MAX_PAGES) {
      const dropped = this.pages.shift();
      if (dropped !== undefined) this.seenKeys.delete(dropped.idempotencyKey);
    }
    return true;
  }

  list(): InboxPage[] {
    return [...this.pages];
  }
}
