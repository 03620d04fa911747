/**
 * A small typed layer over IndexedDB: promises instead of request events, and
 * stores whose record types come from one schema type.
 */

function settled<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed.'));
  });
}

function committed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed.'));
    transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction was aborted.'));
  });
}

/** For each store name, the type of its records. */
export type Schema = Record<string, object>;

export class ObjectStore<Value extends object> {
  constructor(
    private readonly database: IDBDatabase,
    private readonly name: string,
  ) {}

  getAll(): Promise<Value[]> {
    return settled(this.database.transaction(this.name, 'readonly').objectStore(this.name).getAll() as IDBRequest<Value[]>);
  }

  get(key: IDBValidKey): Promise<Value | undefined> {
    return settled(this.database.transaction(this.name, 'readonly').objectStore(this.name).get(key) as IDBRequest<Value | undefined>);
  }

  /**
   * Reads the record under `key` and writes what `change` makes of it, in one
   * transaction: no other tab's write can land between the read and the
   * write. Resolves with the record written, once committed.
   */
  update(key: IDBValidKey, change: (stored: Value | undefined) => Value): Promise<Value> {
    const transaction = this.database.transaction(this.name, 'readwrite');
    const store = transaction.objectStore(this.name);
    let written: Value | undefined;
    const read = store.get(key) as IDBRequest<Value | undefined>;
    read.onsuccess = () => {
      written = change(read.result);
      store.put(written);
    };
    return committed(transaction).then(() => written as Value);
  }

  /** Resolves once the write is committed, so a reload right after it still sees the record. */
  put(value: Value): Promise<void> {
    const transaction = this.database.transaction(this.name, 'readwrite');
    transaction.objectStore(this.name).put(value);
    return committed(transaction);
  }

  delete(key: IDBValidKey): Promise<void> {
    const transaction = this.database.transaction(this.name, 'readwrite');
    transaction.objectStore(this.name).delete(key);
    return committed(transaction);
  }
}

export class Database<S extends Schema> {
  private constructor(private readonly database: IDBDatabase) {}

  /** Opens (creating or upgrading as needed) a database whose stores are keyed by the given key paths. */
  static open<S extends Schema>(name: string, version: number, keyPaths: { [Name in keyof S & string]: string }): Promise<Database<S>> {
    if (typeof indexedDB === 'undefined') return Promise.reject(new Error('This browser has no IndexedDB.'));
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => {
      for (const [store, keyPath] of Object.entries(keyPaths)) {
        if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store, { keyPath });
      }
    };
    return settled(request).then((database) => new Database<S>(database));
  }

  store<Name extends keyof S & string>(name: Name): ObjectStore<S[Name]> {
    return new ObjectStore<S[Name]>(this.database, name);
  }
}
