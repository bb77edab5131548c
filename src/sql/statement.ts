import { Context } from "@medusajs/framework/types"
import { SqlEntityManager } from "@medusajs/framework/mikro-orm/postgresql"
import { unexpectedState } from "../utils/errors"

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
