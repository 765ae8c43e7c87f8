/**
 * Minimal typings for the parts of better-sqlite3 12.x that db/ uses (the project has no
 * @types/better-sqlite3). Delete this file if @types/better-sqlite3 is added: the two would clash.
 * Shapes follow better-sqlite3's docs/api.md.
 */
declare module 'better-sqlite3' {
  namespace BetterSqlite3 {
    interface RunResult {
      /** Rows inserted, updated or deleted by the statement (not counting those of triggers or cascades). */
      changes: number;
      lastInsertRowid: number | bigint;
    }

    interface ColumnDefinition {
      name: string;
      column: string | null;
      table: string | null;
      database: string | null;
      type: string | null;
    }

    interface Statement<Result = unknown> {
      readonly source: string;
      readonly reader: boolean;
      readonly readonly: boolean;
      run(...params: unknown[]): RunResult;
      get(...params: unknown[]): Result | undefined;
      all(...params: unknown[]): Result[];
      iterate(...params: unknown[]): IterableIterator<Result>;
      /** Only the first column of each row. */
      pluck(toggle?: boolean): Statement<unknown>;
      /** Rows as arrays instead of objects. */
      raw(toggle?: boolean): Statement<unknown[]>;
      expand(toggle?: boolean): this;
      safeIntegers(toggle?: boolean): this;
      columns(): ColumnDefinition[];
      bind(...params: unknown[]): this;
    }

    interface Transaction<F extends (...args: never[]) => unknown> {
      (...args: Parameters<F>): ReturnType<F>;
      deferred(...args: Parameters<F>): ReturnType<F>;
      immediate(...args: Parameters<F>): ReturnType<F>;
      exclusive(...args: Parameters<F>): ReturnType<F>;
    }

    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      /** Milliseconds to wait on a locked database before throwing SQLITE_BUSY (default 5000). */
      timeout?: number;
      verbose?: (message?: unknown, ...additional: unknown[]) => void;
      nativeBinding?: string;
    }

    interface PragmaOptions {
      simple?: boolean;
    }

    interface Database {
      readonly name: string;
      readonly open: boolean;
      readonly inTransaction: boolean;
      readonly readonly: boolean;
      readonly memory: boolean;
      prepare<Result = unknown>(source: string): Statement<Result>;
      transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F>;
      exec(source: string): this;
      pragma(source: string, options?: PragmaOptions): unknown;
      close(): this;
      defaultSafeIntegers(toggle?: boolean): this;
    }

    interface SqliteError extends Error {
      readonly code: string;
    }
  }

  interface DatabaseConstructor {
    new (filename?: string, options?: BetterSqlite3.Options): BetterSqlite3.Database;
    (filename?: string, options?: BetterSqlite3.Options): BetterSqlite3.Database;
    readonly prototype: BetterSqlite3.Database;
    readonly SqliteError: new (message: string, code: string) => BetterSqlite3.SqliteError;
  }

  const Database: DatabaseConstructor;
  // Lets `Database.Database` and friends be used as types, as with @types/better-sqlite3.
  namespace Database {
    type Database = BetterSqlite3.Database;
    type Statement<Result = unknown> = BetterSqlite3.Statement<Result>;
    type Transaction<F extends (...args: never[]) => unknown> = BetterSqlite3.Transaction<F>;
    type RunResult = BetterSqlite3.RunResult;
    type Options = BetterSqlite3.Options;
    type SqliteError = BetterSqlite3.SqliteError;
  }
  export = Database;
}
