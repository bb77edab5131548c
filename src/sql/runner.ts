import { Context } from "@medusajs/framework/types"
import { SqlEntityManager } from "@medusajs/framework/mikro-orm/postgresql"
import { unexpectedState } from "../utils/errors"

/**
 * The one way the module sends hand-written SQL to PostgreSQL. Two entry
 * points, and the signature says which a caller needs:
 * - `run(context, statement, values)`: a named statement of the checkout
 *   path, on the caller's transaction when there is one, else in autocommit
 *   (the statement is its own transaction);
 * - `execute(context, sql, params)`: a statement that must run inside the
 *   transaction of an `@InjectTransactionManager` method (its row locks must
 *   outlive it); it refuses a context without one.
 */

/**
 * A statement of the hot path: named, so that PostgreSQL parses and plans it
 * once per connection, then only binds and executes it.
 */
export type Statement = { name: string; text: string }

export function statement(name: string, text: string): Statement {
  return { name: `payment_plus_${name}`, text }
}

type PgConnection = { query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: any[] }> }
type KnexLike = { client: { acquireConnection(): Promise<PgConnection>; releaseConnection(c: PgConnection): Promise<void> } }

/**
 * Runs one statement with as little between the caller and PostgreSQL as
 * possible: on the caller's transaction when the context carries one (its
 * locks and writes then belong to that transaction), otherwise on a
 * connection of the module's own pool in autocommit — the statement is its
 * own transaction, with no BEGIN and COMMIT around it.
 *
 * Both go through knex's client, which hands out the transaction's
 * connection inside a transaction and a pooled one outside it.
 */
export async function run<T = Record<string, unknown>>(
  sharedContext: Context,
  { name, text }: Statement,
  values: unknown[]
): Promise<T[]> {
  const knex = await knexOf(sharedContext)
  const connection = await knex.client.acquireConnection()
  try {
    return (await connection.query({ name, text, values })).rows as T[]
  } finally {
    await knex.client.releaseConnection(connection)
  }
}

/** Whether statements of this context run inside a caller's (or an enclosing method's) transaction. */
export function inTransaction(sharedContext: Context): boolean {
  return !!(sharedContext.transactionManager as SqlEntityManager | undefined)?.getTransactionContext?.()
}

async function knexOf(sharedContext: Context): Promise<KnexLike> {
  const transaction = sharedContext.transactionManager as SqlEntityManager | undefined
  const trx = transaction?.getTransactionContext?.() as KnexLike | undefined
  if (trx) {
    // Whatever the ORM was asked to write in this transaction must be in
    // before a statement that reads or locks the same rows.
    await transaction!.flush()
    return trx
  }
  const manager = (sharedContext.manager ?? transaction) as SqlEntityManager | undefined
  if (!manager?.getKnex) {
    throw unexpectedState("A payment module statement needs the module's entity manager in its context (@InjectManager).")
  }
  return manager.getKnex() as unknown as KnexLike
}

function transactionManager(sharedContext: Context): SqlEntityManager {
  const manager = sharedContext.transactionManager as SqlEntityManager | undefined
  if (!manager?.getTransactionContext?.()) {
    throw unexpectedState(
      "A money movement must run inside a database transaction so that its row locks serialize competing calls."
    )
  }
  return manager
}

/**
 * Runs one statement on the transaction's own connection. Parameters are
 * positional (`?`) or named (`:name`, for statements that repeat a value).
 */
export async function execute<T = Record<string, unknown>>(
  sharedContext: Context,
  sql: string,
  params: unknown[] | Record<string, unknown> = []
): Promise<T[]> {
  const manager = transactionManager(sharedContext)
  // The ORM writes lazily; raw SQL must see what it was asked to write in
  // this transaction (a capture row created a line earlier, for instance).
  await manager.flush()
  const [text, values] = Array.isArray(params) ? [sql, params] : bindNamed(sql, params)
  return (await manager.execute(text, values as any[], "all")) as T[]
}

function bindNamed(sql: string, params: Record<string, unknown>): [string, unknown[]] {
  const values: unknown[] = []
  const text = sql.replace(/(?<!:):([a-z_]+)\b/g, (match, name: string) => {
    if (!(name in params)) return match
    values.push(params[name])
    return "?"
  })
  return [text, values]
}
